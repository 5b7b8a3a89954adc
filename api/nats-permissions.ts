/**
 * NATS authorization for a node pool: the subjects a pool's node runtimes publish and subscribe
 * on, computed from the functions and triggers placed there, and their rendering as a
 * nats-server `authorization` block with one nkey user per pool. The subject names the node uses
 * live here too, so the node and the permissions that bind it cannot drift. Pure: no I/O.
 */

/** Prefix of the per-function invoke subjects of the chain transport (docs/events.md). */
export const INVOKE_PREFIX = 'flotilla.invoke';

/** Where nodes hosting `functionKey` ("ns/name") listen; DNS names hold no "_", so "." -> "_" is safe. */
export function invokeSubject(functionKey: string): string {
  const [ns = '', name = ''] = functionKey.split('/');
  return `${INVOKE_PREFIX}.${ns}.${name.replaceAll('.', '_')}`;
}

/**
 * The NATS KV bucket of a function. Bucket names allow [A-Za-z0-9_-]; DNS names never hold "_",
 * so mapping "." to "_" and joining with "_" cannot make two functions share a bucket.
 */
export function kvBucketName(functionKey: string): string {
  const [ns = '', name = ''] = functionKey.split('/');
  return `flotilla_kv_${ns}_${name.replaceAll('.', '_')}`;
}

/** The KV bucket where the nodes of a cluster claim each cron tick once. */
export const CRON_CLAIMS_BUCKET = 'flotilla_cron_claims';

/** A NATS trigger's durable consumer: `spec.nats.durable`, else "<namespace>-<trigger>". */
export function triggerDurable(triggerKey: string, durable: string | undefined): string {
  return durable ?? triggerKey.replace('/', '-').replaceAll('.', '_');
}

/**
 * Where a node's request replies and JetStream deliveries arrive: `_INBOX.<its nkey>`. Keyed by the
 * public nkey, which both the node (from its seed) and the server config know, so each pool may
 * subscribe to its own inboxes only and never reads another pool's replies.
 */
export function inboxPrefix(publicNkey: string): string {
  return `_INBOX.${publicNkey}`;
}

/** A NATS trigger as far as permissions care. */
export interface NatsTriggerScope {
  /** "ns/name" of the FunctionTrigger. */
  readonly key: string;
  readonly stream: string;
  readonly subject: string;
  /** The durable consumer's name (triggerDurable). */
  readonly durable: string;
  /** spec.deadLetter.target, if any. */
  readonly deadLetter?: string;
}

/** What the node runtimes of one pool run, and so may touch on the cluster's NATS. */
export interface NatsPoolScope {
  /** The pool's public nkey (U...): its user in the server config and its inbox prefix. */
  readonly nkey: string;
  /** "ns/name" of the functions placed on the pool. */
  readonly functions: readonly string[];
  /** Of those, the ones with `state.store: nats`. */
  readonly sharedState: readonly string[];
  /** Every function a chain of the pool's triggers calls (chain steps hosted elsewhere are invoked over NATS). */
  readonly chainSteps: readonly string[];
  /** The pool's NATS triggers on the cluster's NATS. */
  readonly natsTriggers: readonly NatsTriggerScope[];
}

/** nats-server permissions of one user: explicit allow lists, everything else denied. */
export interface NatsPermissions {
  readonly publish: { readonly allow: readonly string[] };
  readonly subscribe: { readonly allow: readonly string[] };
}

/** The JetStream API and data subjects of a KV bucket (its stream is KV_<bucket>). */
function kvSubjects(bucket: string): string[] {
  const stream = `KV_${bucket}`;
  return [
    `$JS.API.STREAM.*.${stream}`,
    `$JS.API.STREAM.MSG.GET.${stream}`,
    `$JS.API.DIRECT.GET.${stream}`,
    `$JS.API.DIRECT.GET.${stream}.>`,
    `$JS.API.CONSUMER.*.${stream}`,
    `$JS.API.CONSUMER.*.${stream}.>`,
    `$JS.API.CONSUMER.MSG.NEXT.${stream}.>`,
    `$KV.${bucket}.>`,
  ];
}

/** The JetStream subjects of a trigger's durable pull consumer, its filter pinned in the create subject. */
function triggerSubjects(t: NatsTriggerScope): string[] {
  const c = `${t.stream}.${t.durable}`;
  return [
    // The create subject carries the filter (nats-server 2.9+), so the pool cannot widen it.
    `$JS.API.CONSUMER.CREATE.${c}.${t.subject}`,
    `$JS.API.CONSUMER.INFO.${c}`,
    `$JS.API.CONSUMER.MSG.NEXT.${c}`,
    `$JS.ACK.${c}.>`,
    ...(t.deadLetter !== undefined ? [t.deadLetter] : []),
  ];
}

const sorted = (xs: Iterable<string>): string[] => [...new Set(xs)].sort();

/**
 * The permissions of a pool: subscribe on the invoke subjects of its own functions and on its own
 * inboxes; publish on the invoke subjects of its chains' steps, the JetStream API of its own
 * triggers' consumers, its own KV buckets and the cluster's cron claims bucket, its dead-letter
 * subjects and inboxes (a producer's reply-to). Replies to a producer's
 * `flotilla-reply-to` and to an invoke request are answers to a message received, which
 * `allow_responses` in the rendered config grants, once each.
 */
export function poolPermissions(scope: NatsPoolScope): NatsPermissions {
  const publish = [
    // Account info: jetstreamManager() checks JetStream is enabled; stream names: whether a dead letter is captured.
    '$JS.API.INFO',
    '$JS.API.STREAM.NAMES',
    // A producer's flotilla-reply-to: only inbox subjects, whose last token is a random NUID.
    '_INBOX.>',
    ...scope.chainSteps.map(invokeSubject),
    ...scope.natsTriggers.flatMap(triggerSubjects),
    ...scope.sharedState.map(kvBucketName).flatMap(kvSubjects),
    // Every node opens the claims bucket at start (cron claims default to NATS); one bucket for the cluster.
    ...kvSubjects(CRON_CLAIMS_BUCKET),
  ];
  const subscribe = [`${inboxPrefix(scope.nkey)}.>`, ...scope.functions.map(invokeSubject)];
  return { publish: { allow: sorted(publish) }, subscribe: { allow: sorted(subscribe) } };
}

/** One nkey user of the rendered config. */
export interface NatsUser {
  readonly nkey: string;
  readonly permissions: NatsPermissions;
}

/** A public nkey of a user: "U" and 55 more base32 characters. */
export const USER_NKEY = /^U[A-Z2-7]{55}$/;

const quote = (s: string): string => JSON.stringify(s);

/** A refused public key as an error may show it: a seed (S...) pasted by mistake is never echoed. */
export function shownKey(key: string): string {
  return key.startsWith('S') ? `a seed (${key.length} characters starting "${key.slice(0, 2)}", not shown)` : quote(key);
}

/**
 * The `authorization` block of nats-server's config: only the listed nkeys may connect (an
 * unauthenticated client is refused), each with its allow lists and one response per request
 * received. Deterministic: users and subjects in the order given (poolPermissions sorts).
 */
export function renderAuthorization(users: readonly NatsUser[]): string {
  const bad = users.find((u) => !USER_NKEY.test(u.nkey));
  if (bad) throw new Error(`NATS user nkey: expected a public user nkey (U and 55 base32 characters), got ${shownKey(bad.nkey)}; use the public key \`flotilla nats keygen\` printed`);
  const list = (xs: readonly string[]): string => `[${xs.map(quote).join(', ')}]`;
  const user = (u: NatsUser): string =>
    [
      `    {`,
      `      nkey: ${quote(u.nkey)}`,
      `      permissions: {`,
      `        publish: { allow: ${list(u.permissions.publish.allow)} }`,
      `        subscribe: { allow: ${list(u.permissions.subscribe.allow)} }`,
      `        allow_responses: { max: 1 }`,
      `      }`,
      `    }`,
    ].join('\n');
  return ['authorization: {', '  users: [', ...users.map(user), '  ]', '}', ''].join('\n');
}
