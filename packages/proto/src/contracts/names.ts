// Names that more than one service (or a service and its operators) must agree on. Streams and
// buckets are defaults: deployments and test meshes override them by environment.

/** gRPC metadata keys. */
export const METADATA = {
  /** The caller's pod session token. */
  sessionToken: "session-token",
  /** The caller's key manager token. */
  keyManagerToken: "key-manager-token",
  /** Common name of a bot's client certificate that the gateway verified on its HTTPS listener. */
  clientCertificateName: "x-client-cert-cn",
  /** The client's X-Trace-Id, forwarded by the gateway. */
  clientTraceId: "x-trace-id",
  /** Trailer naming the exact 4xx the gateway answers where gRPC has no such code (410, 413). */
  httpStatus: "x-http-status",
} as const;

/** JWT audiences of the two bot tokens. */
export const AUDIENCE = {
  session: "symphony:pod",
  keyManager: "symphony:keymanager",
} as const;

/** Default JetStream stream and KV bucket names. */
export const NATS_DEFAULTS = {
  eventsStream: "SYMPHONY_EVENTS",
  objectsStream: "SYMPHONY_OBJECTS",
  revocationsBucket: "SYMPHONY_REVOKED_TOKENS",
  entitlementsBucket: "SYMPHONY_OBJECTSTORE_ENTITLEMENTS",
  subjectPrefix: "symphony",
} as const;

/** NATS subjects under a deployment's subject prefix. */
export const SUBJECTS = {
  /** Every event of the events stream. */
  allEvents: (prefix: string) => `${prefix}.events.>`,
  /** One copy of an event for one recipient: `<prefix>.events.user.<userId>.<TYPE>`. */
  userEvent: (prefix: string, userId: number, type: string) => `${prefix}.events.user.${userId}.${type}`,
  /** Every event of one recipient, as a datafeed filters them. */
  userEvents: (prefix: string, userId: number | string) => `${prefix}.events.user.${userId}.>`,
  /** A stream's cached content keys are stale (rotation, shred, a member lost access). */
  keysChanged: (prefix: string, streamId: string) => `${prefix}.keys.changed.${streamId}`,
  allKeysChanged: (prefix: string) => `${prefix}.keys.changed.*`,
} as const;
