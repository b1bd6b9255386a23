// The CA (ca/) and its HTTPS service (service/) are imported from their own modules: they load node-forge and fastify.
export * from './provider.js';
export { InsecureProvider } from './providers/insecure.js';
export { PkiProvider, CALLER_PREFIX, type PkiIdentity, type PkiProviderOptions } from './providers/pki.js';
export { TrustStore, commonNameOf, type TrustedCertificate } from './trust/trust-store.js';
export { ReplayCache } from './trust/replay-cache.js';
export { VerifiedSignatures } from './trust/verified-signatures.js';
export { CrlRefresher } from './trust/crl-refresher.js';
export { PolicyAuthorizer, READ_ONLY_ACTIONS } from './policy/authorizer.js';
export { parsePolicy, parseGroups, PolicyError, type Policy, type PolicyRule } from './policy/parse.js';
export { AuditLog, REDACTED, type AuditEntry } from './audit/audit-log.js';
export { fingerprint, generateKeyPair, type KeyType } from './pki/keys.js';
export type { SecurityLog } from './log.js';
