// Where the built-in data plugins keep their DDLs (`<name>/<name>.ddl.json`): a path alone, so a client checking
// filters against them loads none of the plugins' code.
import { fileURLToPath } from 'node:url';

export const BUILTIN_DATA_DIR = fileURLToPath(new URL('.', import.meta.url));
