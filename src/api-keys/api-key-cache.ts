/** A validated key as the cache holds it: identifiers and times, never the key. */
export interface ValidatedKey {
  keyId: number;
  userId: string;
  /** ms since the epoch; null: never expires. */
  expiresAt: number | null;
}

export interface ApiKeyCache {
  get(hash: string): ValidatedKey | undefined;
  /** Taken before a database lookup; `set` with it stores nothing if anything was invalidated since. */
  generation(): number;
  set(hash: string, key: ValidatedKey, generation: number): void;
  /** Drops one key (a revocation) and voids lookups in flight. */
  forget(keyId: number): void;
  /** Off: nothing is served or stored (the revocation feed is down). Either way, empties. */
  setEnabled(enabled: boolean): void;
  enabled(): boolean;
}

export interface ApiKeyCacheOptions {
  /** How long an entry may serve without asking the database again; 0 disables the cache. */
  ttlMs: number;
  maxEntries?: number;
  enabled: boolean;
  now?: () => number;
}

/**
 * In-process cache of validated keys, keyed by the key's hash. The generation counter
 * closes the race where a lookup that started before a revocation would store the
 * revoked key after the revocation emptied the cache.
 */
export function createApiKeyCache(options: ApiKeyCacheOptions): ApiKeyCache {
  const now = options.now ?? Date.now;
  const maxEntries = options.maxEntries ?? 10_000;
  const entries = new Map<string, ValidatedKey & { storedAt: number }>();
  let generation = 0;
  let enabled = options.enabled;
  return {
    get(hash) {
      if (!enabled) return undefined;
      const entry = entries.get(hash);
      if (!entry) return undefined;
      const t = now();
      if (
        t - entry.storedAt >= options.ttlMs ||
        (entry.expiresAt !== null && t >= entry.expiresAt)
      ) {
        entries.delete(hash);
        return undefined;
      }
      return entry;
    },
    generation: () => generation,
    set(hash, key, at) {
      if (!enabled || at !== generation || options.ttlMs <= 0) return;
      entries.delete(hash);
      // Oldest first out: Map keeps insertion order.
      if (entries.size >= maxEntries) entries.delete(entries.keys().next().value!);
      entries.set(hash, { ...key, storedAt: now() });
    },
    forget(keyId) {
      generation++;
      for (const [hash, entry] of entries) if (entry.keyId === keyId) entries.delete(hash);
    },
    setEnabled(next) {
      generation++;
      entries.clear();
      enabled = next;
    },
    enabled: () => enabled && options.ttlMs > 0,
  };
}
