export interface RateLimitOptions {
  /** Sustained requests per minute per key. */
  perMinute: number;
  /** Requests a key may make at once after being idle. */
  burst: number;
  now?: () => number;
}

export type RateDecision = { ok: true } | { ok: false; retryAfterSeconds: number };

const PRUNE_AT = 10_000;

/**
 * A token bucket per key id, in this process only: with N instances a key can make up
 * to N times the rate (documented in the README).
 */
export function createApiKeyRateLimiter(options: RateLimitOptions) {
  const now = options.now ?? Date.now;
  const perMs = options.perMinute / 60_000;
  const buckets = new Map<number, { tokens: number; at: number }>();
  const tokensAt = (b: { tokens: number; at: number }, t: number) =>
    Math.min(options.burst, b.tokens + (t - b.at) * perMs);
  return {
    take(keyId: number): RateDecision {
      const t = now();
      const bucket = buckets.get(keyId);
      const tokens = bucket ? tokensAt(bucket, t) : options.burst;
      if (tokens < 1) {
        buckets.set(keyId, { tokens, at: t });
        return { ok: false, retryAfterSeconds: Math.ceil((1 - tokens) / perMs / 1000) };
      }
      // A refilled bucket carries no state: dropping those bounds memory by the keys in use.
      if (!bucket && buckets.size >= PRUNE_AT)
        for (const [id, b] of buckets) if (tokensAt(b, t) >= options.burst) buckets.delete(id);
      buckets.set(keyId, { tokens: tokens - 1, at: t });
      return { ok: true };
    },
  };
}
