// Where the built-in agents keep their DDLs (`<agent>/<agent>.ddl.json`): a path alone, so a client reading the DDLs
// loads none of the agents' code.
import { fileURLToPath } from 'node:url';

export const BUILTIN_AGENT_DIR = fileURLToPath(new URL('.', import.meta.url));
