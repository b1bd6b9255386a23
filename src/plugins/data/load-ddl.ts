import { fileURLToPath } from 'node:url';
import { loadDataDDLFile, type DataDDL } from '../../ddl/index.js';

/** The DDL beside a data plugin's code: `<name>/<name>.ddl.json`. */
export function builtinDataDDL(name: string): DataDDL {
  return loadDataDDLFile(fileURLToPath(new URL(`./${name}/${name}.ddl.json`, import.meta.url)));
}
