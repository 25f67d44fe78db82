import { describe, expect, it } from "vitest";
import { createApiKeyCache } from "../../src/api-keys/api-key-cache.ts";
import { createApiKeyRateLimiter } from "../../src/api-keys/api-key-rate-limiter.ts";

const key = { keyId: 7, userId: "u", expiresAt: null };

describe("the validated-key cache", () => {
  it("does not store a lookup that started before a revocation (or a feed drop) emptied it", () => {
    const cache = createApiKeyCache({ ttlMs: 60_000, enabled: true });
    const before = cache.generation();
    cache.forget(7); // a revocation arrives while the lookup is in flight
    cache.set("h", key, before);
    expect(cache.get("h")).toBeUndefined();

    const again = cache.generation();
    cache.setEnabled(true); // re-subscribed: notifications in between may be lost
    cache.set("h", key, again);
    expect(cache.get("h")).toBeUndefined();

    cache.set("h", key, cache.generation());
    expect(cache.get("h")).toMatchObject(key);
    cache.forget(7);
    expect(cache.get("h")).toBeUndefined();
  });

  it("serves nothing while disabled, and nothing past its TTL or the key's own expiry", () => {
    let now = 0;
    const cache = createApiKeyCache({ ttlMs: 1_000, enabled: true, now: () => now });
    cache.set("a", key, cache.generation());
    cache.set("b", { ...key, keyId: 8, expiresAt: 500 }, cache.generation());
    now = 499;
    expect(cache.get("b")).toBeDefined();
    now = 500;
    expect(cache.get("b")).toBeUndefined();
    now = 999;
    expect(cache.get("a")).toBeDefined();
    now = 1_000;
    expect(cache.get("a")).toBeUndefined();

    cache.set("a", key, cache.generation());
    cache.setEnabled(false);
    cache.set("a", key, cache.generation());
    expect(cache.get("a")).toBeUndefined();
    expect(cache.enabled()).toBe(false);
  });
});

describe("the per-key rate limiter", () => {
  it("allows a burst, then one request per refill interval, and says when to retry", () => {
    let now = 0;
    const limiter = createApiKeyRateLimiter({ perMinute: 6, burst: 2, now: () => now });
    expect([limiter.take(1), limiter.take(1)]).toEqual([{ ok: true }, { ok: true }]);
    expect(limiter.take(1)).toEqual({ ok: false, retryAfterSeconds: 10 });
    expect(limiter.take(2)).toEqual({ ok: true });
    now = 9_000;
    expect(limiter.take(1)).toEqual({ ok: false, retryAfterSeconds: 1 });
    now = 10_000;
    expect(limiter.take(1)).toEqual({ ok: true });
    expect(limiter.take(1)).toEqual({ ok: false, retryAfterSeconds: 10 });
  });
});
