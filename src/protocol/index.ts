export * from './envelopes.js';
export * from './errors.js';
export * from './ids.js';
export * from './subjects.js';
export * from './codec.js';
export { packageRoot, validatorFor, schemaRegistry, describeSchemaErrors } from './schemas.js';
export * from './registration.js';
