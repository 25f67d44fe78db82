/** Where revocations made by any instance on the same database arrive. */
export interface RevocationFeed {
  /**
   * Starts listening. `up` runs once subscribed (and again after each re-subscribe),
   * `down` as soon as notifications may be missed, `revoked` per revoked key id.
   */
  start(handlers: RevocationHandlers): void;
  close(): Promise<void>;
}

export interface RevocationHandlers {
  up(): void;
  down(): void;
  revoked(keyId: number): void;
}

/** The channel `public.revoke_api_key` notifies, with the key id as payload. */
export const REVOCATION_CHANNEL = "api_key_revoked";
