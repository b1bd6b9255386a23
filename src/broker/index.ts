export * from './config.js';
export * from './errors.js';
export * from './permissions.js';
export * from './reload.js';
export * from './roles.js';
export * from './sites.js';
