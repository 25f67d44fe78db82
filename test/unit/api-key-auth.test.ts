import { describe, expect, it } from "vitest";
import { createApiKeyAuth } from "../../src/api-keys/api-key-auth.ts";
import { generateApiKey } from "../../src/api-keys/api-key-format.ts";
import type { RevocationHandlers } from "../../src/api-keys/revocation-feed.ts";
import { SessionError } from "../../src/auth/session-error.ts";
import {
  DatabaseUnavailableError,
  RpcContractError,
  errorForCode,
} from "../../src/db/rpc/errors.ts";
import type { RpcClient } from "../../src/db/rpc/rpc-client.ts";
import { collectingLogger } from "../support/collecting-logger.ts";

const USER = "11111111-1111-4111-8111-111111111111";

/** The verifier against a scripted database; the feed is driven by hand. */
function arrange(answer: (name: string) => unknown[] | Error = () => []) {
  const calls: string[] = [];
  const rpc = {
    transport: "sql",
    call: (name: string) => {
      calls.push(name);
      const out = answer(name);
      return out instanceof Error ? Promise.reject(out) : Promise.resolve(out);
    },
    close: () => Promise.resolve(),
  } as unknown as RpcClient;
  let feed: RevocationHandlers | undefined;
  let now = 0;
  const auth = createApiKeyAuth({
    rpc,
    revocations: { start: (h) => (feed = h), close: () => Promise.resolve(), staleAfterMs: 50 },
    cacheTtlMs: 3_600_000,
    rateLimit: { perMinute: 1000, burst: 1000 },
    logger: collectingLogger().logger,
    now: () => now,
  });
  return { auth, calls, feed: () => feed!, advance: (ms: number) => (now += ms) };
}

const validKey = (name: string) =>
  name === "authenticate_api_key" ? [{ key_id: 7, user_id: USER, expires_at: null }] : [];

describe("the API-key verifier", () => {
  it("answers an unreachable database with key_store_unavailable (503) and anything else as an error, never a session", async () => {
    const { key } = generateApiKey();
    const down = arrange(() => new DatabaseUnavailableError("authenticate_api_key", "08006", "x"));
    await expect(down.auth.verifier.verify(key)).rejects.toEqual(
      new SessionError("key_store_unavailable"),
    );
    const broken = arrange(() => new RpcContractError("authenticate_api_key", "contract", "x"));
    await expect(broken.auth.verifier.verify(key)).rejects.toBeInstanceOf(RpcContractError);
  });

  it.each([
    ["57P03 (starting up / in recovery)", () => errorForCode("authenticate_api_key", "57P03")],
    ["25006 (read-only after a failover)", () => errorForCode("authenticate_api_key", "25006")],
    ["an unknown SQLSTATE", () => errorForCode("authenticate_api_key", "XX000")],
    ["a permission error", () => errorForCode("authenticate_api_key", "42501")],
    ["a non-database error", () => new TypeError("boom")],
  ])("fails closed with key_store_unavailable (503) on %s", async (_, failure) => {
    const { key } = generateApiKey();
    const t = arrange(() => failure());
    t.feed().up();
    await expect(t.auth.verifier.verify(key)).rejects.toEqual(
      new SessionError("key_store_unavailable"),
    );
    expect(t.auth.caching()).toBe(true);
    await expect(t.auth.verifier.verify(key)).rejects.toEqual(
      new SessionError("key_store_unavailable"),
    );
  });

  it("caches only while the feed is up, and marks a cached key used at most once a minute", async () => {
    const { key } = generateApiKey();
    const t = arrange(validKey);
    await t.auth.verifier.verify(key);
    await t.auth.verifier.verify(key);
    expect(t.calls).toEqual(["authenticate_api_key", "authenticate_api_key"]);

    t.feed().up();
    t.calls.length = 0;
    for (let i = 0; i < 5; i++) await t.auth.verifier.verify(key);
    expect(t.calls).toEqual(["authenticate_api_key"]);
    t.advance(60_000);
    for (let i = 0; i < 5; i++) await t.auth.verifier.verify(key);
    await t.auth.settled();
    expect(t.calls).toEqual(["authenticate_api_key", "touch_api_key"]);

    t.feed().down();
    await t.auth.verifier.verify(key);
    expect(t.calls.at(-1)).toBe("authenticate_api_key");
  });

  it("remembers a key that matched nothing for 2 s: one lookup, not one per request", async () => {
    const { key } = generateApiKey();
    const t = arrange();
    for (let i = 0; i < 5; i++)
      await expect(t.auth.verifier.verify(key)).rejects.toEqual(
        new SessionError("api_key_invalid"),
      );
    expect(t.calls).toEqual(["authenticate_api_key"]);
    t.advance(1_999);
    await expect(t.auth.verifier.verify(key)).rejects.toEqual(new SessionError("api_key_invalid"));
    expect(t.calls).toHaveLength(1);
    t.advance(1);
    await expect(t.auth.verifier.verify(key)).rejects.toEqual(new SessionError("api_key_invalid"));
    expect(t.calls, "after the TTL the database is asked again").toHaveLength(2);
  });

  it("waits for as many acknowledgements as there are listening instances, else out the heartbeat bound", async () => {
    const t = arrange();
    const bound = 50 + 250;
    let started = performance.now();
    expect(await t.auth.expectRevocation(7).confirmed(2)).toBe("feed_down");
    expect(
      performance.now() - started,
      "silent instances had time to drop their cache",
    ).toBeGreaterThanOrEqual(bound - 5);
    t.feed().up();

    const both = t.auth.expectRevocation(7);
    t.feed().seen(7, "a");
    t.feed().seen(8, "b"); // another key's acknowledgement does not count
    t.feed().seen(7, "a"); // nor does one instance twice
    const pending = both.confirmed(2);
    t.feed().seen(7, "b");
    expect(await pending).toBe("acknowledged");

    const one = t.auth.expectRevocation(9);
    t.feed().seen(9, "a");
    started = performance.now();
    expect(await one.confirmed(2)).toBe("timeout");
    expect(performance.now() - started).toBeGreaterThanOrEqual(bound - 5);
  });
});
