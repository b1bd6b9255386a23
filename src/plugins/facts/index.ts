export { FactsError, type FactsErrorCode } from './errors.js';
export { loadFactFile, loadFactFiles, type Facts } from './files.js';
export { loadClassesFile } from './classes.js';
export { FactWatcher, type FactChangeListener, type FactErrorListener, type FactSnapshot } from './watcher.js';
export { FacterSource, runFacter, type FacterLogger, type FacterOutput, type FacterSourceOptions } from './facter.js';
export { ConfiguredFactSource, FACT_SOURCE_NAMES, factSourceFromConfig, type FactSourceName, type FactSourceOptions } from './sources.js';
