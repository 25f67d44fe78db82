/** Where revocations made by any instance on the same database arrive. */
export interface RevocationFeed {
  /**
   * Starts listening. `up` runs once subscribed and proven by a round trip (again after each
   * re-subscribe), `down` as soon as notifications may be missed or stop proving themselves, `revoked` per revoked key id (after
   * which the feed tells every instance this one has dropped it: `seen`).
   */
  start(handlers: RevocationHandlers): void;
  close(): Promise<void>;
  /**
   * The feed's promise: a revocation committed this long ago has been handled here, or `down`
   * has run. Every instance must use the same value; revoke waits it out for silent ones.
   */
  readonly staleAfterMs: number;
}

export interface RevocationHandlers {
  up(): void;
  down(): void;
  revoked(keyId: number): void;
  /** Instance `instance` (its feed's random id) has dropped `keyId` from its cache. */
  seen(keyId: number, instance: string): void;
}

/** What `public.revoke_api_key` notifies, with the key id as payload. */
export const REVOKED_CHANNEL = "api_key_revoked";
/** Each instance's acknowledgement: `<keyId>:<instance>`. */
export const SEEN_CHANNEL = "api_key_revocation_seen";
/** Each feed's own heartbeat channel: this prefix + its instance id. */
export const HEARTBEAT_CHANNEL_PREFIX = "api_key_feed_heartbeat_";
/** The connection that sends heartbeats; not a listener, so revoke does not count it. */
export const HEARTBEAT_APPLICATION_NAME = "credential-free-jobs:api-key-heartbeat";
/**
 * The feed's application_name: revoke_api_key counts the connections that carry it, to
 * know how many acknowledgements to wait for.
 */
export const FEED_APPLICATION_NAME = "credential-free-jobs:api-key-revocations";
