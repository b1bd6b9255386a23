export * from './provider.js';
export { InsecureProvider } from './providers/insecure.js';
