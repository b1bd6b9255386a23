export { FactsError, type FactsErrorCode } from './errors.js';
export { loadFactFile, loadFactFiles, type Facts } from './files.js';
export { loadClassesFile } from './classes.js';
export { FactWatcher, type FactChangeListener, type FactErrorListener, type FactSnapshot } from './watcher.js';
