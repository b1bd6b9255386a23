// What each identity may publish and subscribe to on NATS, from the subject layout of protocol/subjects.ts.
//
//   node N      subscribe  <c>.broadcast.agent.*   <c>.node.N        _INBOX.<token N>.>
//               publish    <c>.reply.>             $KV.<bucket>.<N's key>   the JetStream calls that create the bucket
//   operator O  subscribe  <c>.reply.<token O>.>   _INBOX.<token O>.>
//               publish    <c>.broadcast.agent.*   <c>.node.>        the JetStream calls that read the bucket
//               plan state: `$KV.<plan bucket>.>` and the calls that create, read and list it
//               governors (plugin.broker.governors and node_governors): take, release, add, view, evict, remove
//   web console W (an operator named in plugin.broker.web_consoles): an operator's rights, plus its job history
//               bucket (`$KV.<web bucket>.>` and the calls on it) and flow control of its registry watch
//   node N, governors in plugin.broker.node_governors only: publish `$GOVERNOR.<g>.*` (take and refresh a slot),
//               the stream's info and message delete (release); no other JetStream, no plan state
//
//   sites (a broker in a site, broker/sites.ts): a node at site S also writes its own key in `<bucket>_<S>` (its
//               site's registry, placed in cluster S) and makes the calls that create that bucket; an operator reads
//               every known site's bucket, through `$JS.API` in its broker's own JetStream domain and through
//               `$JS.<domain>.API` in any domain (another leaf site's, or the hub's from a leaf site)
//
// Nothing else: no `>`, no other identity's directed subject, replies or inboxes. A node cannot send a request,
// an operator cannot answer one or read another operator's replies, and registration records can only be
// written under one's own key.
import { broadcastSubject, identityToken, inboxPrefixFor, nodeSubject, registryKey } from '../protocol/index.js';
import type { BrokerRole } from './roles.js';

export interface SubjectPermissions {
  publish: string[];
  subscribe: string[];
}

export interface PermissionScope {
  collectives: readonly string[];
  /** The registry's JetStream key-value bucket (`registry_bucket`). */
  registryBucket: string;
  /** The plan runs' key-value bucket (`plan_bucket`); operators only. */
  planBucket?: string;
  /** Governors operators may add, use and remove (`plugin.broker.governors`). */
  governors?: readonly string[];
  /** Governors nodes may take slots of (`plugin.broker.node_governors`); operators may use them too. */
  nodeGovernors?: readonly string[];
  /** The web console's job history bucket (`web.jobs_bucket`), for the operators that are web consoles. */
  webBucket?: string;
  /** The broker's site, when it is in one: its nodes write the site's registry bucket. */
  site?: string;
  /** The JetStream domain of the broker's site. */
  localDomain?: string;
  /** Every known site and the JetStream domain its registry bucket is in: operators read them all. */
  siteDomains?: ReadonlyArray<{ site: string; domain: string }>;
}

const inboxes = (name: string) => `${inboxPrefixFor(name)}.>`;

/** The JetStream API calls of the registry, each limited to the bucket's stream. */
function registryApi(bucket: string, role: BrokerRole, api = '$JS.API'): string[] {
  const stream = `KV_${bucket}`;
  // A node stores its record with a plain publish; when the bucket is missing the first node creates it.
  if (role === 'node') return [`${api}.INFO`, `${api}.STREAM.INFO.${stream}`, `${api}.STREAM.CREATE.${stream}`];
  // A reader: bucket info, one ordered consumer at a time (created, pulled, deleted) and single-key reads.
  return [`${api}.INFO`, `${api}.STREAM.INFO.${stream}`, ...kvReads(stream, api)];
}

/** Reading a key-value bucket's stream: single-key reads and one ordered consumer at a time (created, pulled, deleted). */
function kvReads(stream: string, api = '$JS.API'): string[] {
  return [
    `${api}.STREAM.MSG.GET.${stream}`,
    `${api}.DIRECT.GET.${stream}`,
    `${api}.DIRECT.GET.${stream}.>`,
    `${api}.CONSUMER.CREATE.${stream}`,
    `${api}.CONSUMER.CREATE.${stream}.>`,
    `${api}.CONSUMER.INFO.${stream}.*`,
    `${api}.CONSUMER.DELETE.${stream}.*`,
    `${api}.CONSUMER.MSG.NEXT.${stream}.*`,
  ];
}

/** The per-site registry bucket (`<registry_bucket>_<site>`), shared with the registry that writes and reads it. */
export const siteRegistryBucket = (registryBucket: string, site: string) => `${registryBucket}_${site}`;

/** A node at the broker's site: its own key in the site's bucket and the calls that create the bucket. */
function siteRegistryWrites(identity: string, scope: PermissionScope): string[] {
  if (!scope.site) return [];
  const bucket = siteRegistryBucket(scope.registryBucket, scope.site);
  return [`$KV.${bucket}.${registryKey(identity)}`, ...registryApi(bucket, 'node')];
}

/** An operator: every known site's bucket, in the local domain directly and in any domain by its prefix. */
function siteRegistryReads(scope: PermissionScope): string[] {
  return (scope.siteDomains ?? []).flatMap(({ site, domain }) => {
    const bucket = siteRegistryBucket(scope.registryBucket, site);
    const local = domain === scope.localDomain ? registryApi(bucket, 'operator') : [];
    return [...local, ...registryApi(bucket, 'operator', `$JS.${domain}.API`)];
  });
}

/** Plan state: the bucket's subjects and the calls an operator's client makes on it (create, read, list keys). */
function planApi(bucket: string): string[] {
  const stream = `KV_${bucket}`;
  return [`$KV.${bucket}.>`, `$JS.API.STREAM.INFO.${stream}`, `$JS.API.STREAM.CREATE.${stream}`, ...kvReads(stream), `$JS.FC.${stream}.>`];
}

/** A governor's stream: a node takes, refreshes and releases slots; an operator also manages the governor. */
function governorApi(name: string, role: BrokerRole): string[] {
  const stream = `GOVERNOR_${name}`;
  const use = [`$GOVERNOR.${name}.*`, '$JS.API.INFO', `$JS.API.STREAM.INFO.${stream}`, `$JS.API.STREAM.MSG.DELETE.${stream}`];
  if (role === 'node') return use;
  return [
    ...use,
    '$JS.API.STREAM.NAMES',
    `$JS.API.STREAM.CREATE.${stream}`,
    `$JS.API.STREAM.UPDATE.${stream}`,
    `$JS.API.STREAM.DELETE.${stream}`,
    `$JS.API.STREAM.PURGE.${stream}`,
    `$JS.API.DIRECT.GET.${stream}`,
  ];
}

const unique = (subjects: string[]) => [...new Set(subjects)];

export function nodePermissions(identity: string, scope: PermissionScope): SubjectPermissions {
  return {
    publish: unique([
      ...scope.collectives.map((c) => `${c}.reply.>`),
      `$KV.${scope.registryBucket}.${registryKey(identity)}`,
      ...registryApi(scope.registryBucket, 'node'),
      ...siteRegistryWrites(identity, scope),
      ...(scope.nodeGovernors ?? []).flatMap((g) => governorApi(g, 'node')),
    ]),
    subscribe: [...scope.collectives.flatMap((c) => [broadcastSubject(c, '*'), nodeSubject(c, identity)]), inboxes(identity)],
  };
}

export function operatorPermissions(name: string, scope: PermissionScope): SubjectPermissions {
  const token = identityToken(name);
  return {
    publish: unique([
      ...scope.collectives.flatMap((c) => [broadcastSubject(c, '*'), nodeSubject(c, '>')]),
      ...registryApi(scope.registryBucket, 'operator'),
      ...siteRegistryReads(scope),
      ...(scope.planBucket ? planApi(scope.planBucket) : []),
      // The console watches the registry (an ordered push consumer, which acknowledges flow control) and keeps jobs.
      ...(scope.webBucket ? [...planApi(scope.webBucket), `$JS.FC.KV_${scope.registryBucket}.>`] : []),
      ...[...(scope.governors ?? []), ...(scope.nodeGovernors ?? [])].flatMap((g) => governorApi(g, 'operator')),
    ]),
    subscribe: [...scope.collectives.map((c) => `${c}.reply.${token}.>`), inboxes(name)],
  };
}

export function permissionsFor(role: BrokerRole, name: string, scope: PermissionScope): SubjectPermissions {
  return role === 'node' ? nodePermissions(name, scope) : operatorPermissions(name, scope);
}
