import { describe, expect, it } from "vitest";
import { createApiKeyMissCache } from "../../src/api-keys/api-key-miss-cache.ts";

describe("the API-key miss cache", () => {
  it("forgets a miss after its TTL, holds at most maxEntries, and does nothing at TTL 0", () => {
    let now = 0;
    const misses = createApiKeyMissCache({ ttlMs: 100, maxEntries: 2, now: () => now });
    misses.add("a");
    misses.add("b");
    misses.add("c");
    expect(["a", "b", "c"].map((h) => misses.has(h))).toEqual([false, true, true]);
    now = 99;
    expect(misses.has("b")).toBe(true);
    now = 100;
    expect(misses.has("b")).toBe(false);

    const off = createApiKeyMissCache({ ttlMs: 0 });
    off.add("a");
    expect(off.has("a")).toBe(false);
  });
});
