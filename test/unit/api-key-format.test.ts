import { describe, expect, it } from "vitest";
import {
  API_KEY_PREFIX,
  generateApiKey,
  isApiKeyShaped,
  parseApiKey,
} from "../../src/api-keys/api-key-format.ts";
import { findCredentials, redactCredentials } from "../../src/security/find-credentials.ts";

describe("API key format", () => {
  it("is cfk_ + 43 random base62 characters + a 6-character checksum, hashed with SHA-256", () => {
    const { key, hash, displayPrefix } = generateApiKey();
    expect(key).toMatch(/^cfk_[A-Za-z0-9]{49}$/);
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(displayPrefix).toBe(key.slice(0, 12));
    expect(parseApiKey(key)).toEqual({ hash, displayPrefix });
    expect(isApiKeyShaped(key)).toBe(true);
  });

  it("never repeats, and spreads over the whole alphabet (256 random bits each)", () => {
    const keys = Array.from({ length: 500 }, () => generateApiKey().key);
    expect(new Set(keys).size).toBe(500);
    const chars = new Set(keys.flatMap((k) => [...k.slice(4, 47)]));
    expect(chars.size).toBe(62);
  });

  it("refuses a key with one character changed, truncated or extended, before any lookup", () => {
    const { key } = generateApiKey();
    const flipped = key.slice(0, 20) + (key[20] === "a" ? "b" : "a") + key.slice(21);
    for (const bad of [flipped, key.slice(0, -1), `${key}x`, `${API_KEY_PREFIX}`, "cfk_x"])
      expect(parseApiKey(bad), bad).toBeUndefined();
    // A JWT or anything else is not routed to the API-key verifier.
    expect(isApiKeyShaped("eyJhbGciOiJIUzI1NiJ9.e30.x")).toBe(false);
  });

  it("is found by the credential detector, alone, in text and as a display prefix", () => {
    const { key, displayPrefix } = generateApiKey();
    expect(
      findCredentials({ a: key, b: `Authorization: Bearer ${key}`, c: displayPrefix }),
    ).toEqual([
      { path: "$.a", kind: "api-key" },
      { path: "$.b", kind: "api-key" },
      { path: "$.c", kind: "api-key" },
    ]);
    expect(redactCredentials(`key=${key}.`)).toBe("key=[REDACTED].");
  });
});
