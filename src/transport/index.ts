export * from './connector.js';
export { jetStreamOf, type JetStreamHandle } from './jetstream.js';
