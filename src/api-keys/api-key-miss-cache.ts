export interface ApiKeyMissCache {
  /** Whether this hash matched no active key less than ttlMs ago. */
  has(hash: string): boolean;
  add(hash: string): void;
}

export interface ApiKeyMissCacheOptions {
  /** How long a miss is remembered; 0 disables it. */
  ttlMs: number;
  maxEntries?: number;
  now?: () => number;
}

/**
 * Hashes that matched no active key, so a script retrying a dead key costs one lookup per TTL,
 * not one per request. It only ever refuses: a revoked or expired key never comes back, and
 * a new key's hash cannot have missed before its creation committed unless a lagging replica
 * answered, which the short TTL bounds.
 */
export function createApiKeyMissCache(options: ApiKeyMissCacheOptions): ApiKeyMissCache {
  const now = options.now ?? Date.now;
  const maxEntries = options.maxEntries ?? 10_000;
  const misses = new Map<string, number>();
  return {
    has(hash) {
      const at = misses.get(hash);
      if (at === undefined) return false;
      if (now() - at < options.ttlMs) return true;
      misses.delete(hash);
      return false;
    },
    add(hash) {
      if (options.ttlMs <= 0) return;
      misses.delete(hash);
      // Oldest first out: Map keeps insertion order.
      if (misses.size >= maxEntries) misses.delete(misses.keys().next().value!);
      misses.set(hash, now());
    },
  };
}
