import { describe, expect, it } from "vitest";
import { revokeApiKey } from "../../src/actions/api-keys.ts";
import { createApiKeyAuth } from "../../src/api-keys/api-key-auth.ts";
import { generateApiKey } from "../../src/api-keys/api-key-format.ts";
import { createPgRevocationFeed } from "../../src/api-keys/pg-revocation-feed.ts";
import type { RevocationFeed } from "../../src/api-keys/revocation-feed.ts";
import { SessionError } from "../../src/auth/session-error.ts";
import { createRpcClient, type RpcClient } from "../../src/db/rpc/rpc-client.ts";
import { createSqlTransport } from "../../src/db/rpc/sql-transport.ts";
import { createSql } from "../../src/db/sql-client.ts";
import { collectingLogger } from "../support/collecting-logger.ts";
import { createUser } from "../support/fixtures.ts";
import { useTestDatabase } from "../support/pg.ts";
import { startTcpProxy } from "../support/tcp-proxy.ts";

const db = useTestDatabase();

/** The real feed, with every handler call recorded. */
function recorded(feed: RevocationFeed, events: string[]): RevocationFeed {
  return {
    start: (h) =>
      feed.start({
        up: () => (events.push("up"), h.up()),
        down: () => (events.push("down"), h.down()),
        revoked: (id) => (events.push(`revoked ${id}`), h.revoked(id)),
        seen: (id, instance) => h.seen(id, instance),
      }),
    close: () => feed.close(),
    staleAfterMs: feed.staleAfterMs,
  };
}

/** Fast heartbeats, so the bound is short enough to wait out in a test. */
const FAST = { retryMs: 20, heartbeatMs: 50, staleAfterMs: 300 };

async function arrange(feedUrl: string, feedOptions: Partial<typeof FAST> = { retryMs: 20 }) {
  const { logger, records } = collectingLogger();
  const events: string[] = [];
  const calls: string[] = [];
  const real = createRpcClient(
    createSqlTransport(createSql(db.url, { max: 2, role: "service_role" })),
  );
  const rpc: RpcClient = {
    transport: "sql",
    call: (name, args) => (calls.push(name), real.call(name, args)),
    close: () => real.close(),
  };
  const feed = recorded(createPgRevocationFeed({ url: feedUrl, logger, ...feedOptions }), events);
  const auth = createApiKeyAuth({
    rpc,
    revocations: feed,
    cacheTtlMs: 3_600_000,
    rateLimit: { perMinute: 1000, burst: 1000 },
    logger,
  });
  const user = await createUser(db.sql);
  const { key, hash, displayPrefix } = generateApiKey();
  const [row] = await real.call("create_api_key", {
    p_user_id: user.id,
    p_name: "feed",
    p_key_hash: hash,
    p_display_prefix: displayPrefix,
    p_expires_at: null,
  });
  const lookups = () => calls.filter((c) => c === "authenticate_api_key").length;
  const close = async () => {
    await feed.close();
    await auth.settled();
    await real.close();
  };
  return {
    auth,
    events,
    lookups,
    key,
    keyId: row!.id,
    userId: user.id,
    real,
    logger,
    records,
    close,
  };
}

describe("the LISTEN revocation feed", () => {
  it("empties the cache the moment its connection drops, and caches again only after re-subscribing", async () => {
    const t = await arrange(db.url);
    try {
      await expect.poll(() => t.events).toEqual(["up"]);
      await t.auth.verifier.verify(t.key);
      await t.auth.verifier.verify(t.key);
      expect(t.lookups()).toBe(1);

      await db.sql`
        select pg_terminate_backend(pid) from pg_stat_activity
        where datname = current_database() and application_name = 'credential-free-jobs:api-key-revocations'`;
      await expect.poll(() => t.events).toEqual(["up", "down", "up"]);
      await t.auth.verifier.verify(t.key);
      expect(t.lookups(), "nothing cached before the drop is served after it").toBe(2);

      // Subscribed again: a revocation made elsewhere reaches this instance.
      await t.real.call("revoke_api_key", { p_key_id: t.keyId, p_user_id: t.userId });
      await expect.poll(() => t.events).toContain(`revoked ${t.keyId}`);
      await expect(t.auth.verifier.verify(t.key)).rejects.toEqual(
        new SessionError("api_key_invalid"),
      );
    } finally {
      await t.close();
    }
  });

  it("fails closed while it cannot subscribe: every request is checked against the database", async () => {
    const unreachable = new URL(db.url);
    unreachable.password = "wrong-password";
    const t = await arrange(unreachable.toString());
    try {
      await expect.poll(() => t.events.length).toBeGreaterThanOrEqual(2);
      expect(t.events).not.toContain("up");
      expect(t.auth.caching()).toBe(false);
      for (let i = 0; i < 3; i++) await t.auth.verifier.verify(t.key);
      expect(t.lookups()).toBe(3);
    } finally {
      await t.close();
    }
  });

  it("stops serving its cache within the heartbeat bound when its connection hangs without closing, so once revoke answers the key is refused everywhere", async () => {
    const proxy = await startTcpProxy(db.url);
    // B's feed goes through the proxy; A revokes over a healthy connection.
    const b = await arrange(proxy.url, FAST);
    const aFeed = createPgRevocationFeed({ url: db.url, logger: b.logger, ...FAST });
    const a = createApiKeyAuth({
      rpc: b.real,
      revocations: aFeed,
      cacheTtlMs: 3_600_000,
      rateLimit: { perMinute: 1000, burst: 1000 },
      logger: b.logger,
    });
    try {
      await expect.poll(() => b.events).toEqual(["up"]);
      await expect.poll(() => a.caching()).toBe(true);
      await b.auth.verifier.verify(b.key);
      await b.auth.verifier.verify(b.key);
      expect(b.lookups(), "B serves the key from its cache").toBe(1);

      proxy.mode = "silent";
      const started = performance.now();
      const revoke = revokeApiKey({ rpc: b.real, apiKeys: a });
      const answer = await revoke.run(
        {
          session: { userId: b.userId, isAnonymous: false, actorSource: "human" },
          logger: b.logger,
        },
        { keyId: b.keyId },
      );
      expect(answer).toMatchObject({ id: b.keyId, status: "revoked" });
      // A acknowledged; B could not, so revoke waited out the bound (300 ms + 250 ms margin).
      expect(performance.now() - started).toBeGreaterThanOrEqual(FAST.staleAfterMs);
      expect(b.events, "B never heard the revocation").not.toContain(`revoked ${b.keyId}`);
      expect(b.events.at(-1), "B's feed is down: no heartbeat came back").toBe("down");
      expect(b.auth.caching()).toBe(false);
      await expect(b.auth.verifier.verify(b.key)).rejects.toEqual(
        new SessionError("api_key_invalid"),
      );
      expect(b.lookups()).toBe(2);
      expect(b.records()).toContainEqual(
        expect.objectContaining({ msg: expect.stringMatching(/revocation feed lost/) }),
      );
      // Reconnecting through the silent proxy never proves itself: the cache stays off.
      await new Promise((resolve) => setTimeout(resolve, 3 * FAST.staleAfterMs));
      expect(b.events.filter((e) => e === "up")).toHaveLength(1);
    } finally {
      await aFeed.close();
      await b.close();
      await proxy.close();
    }
  });

  it.each(["no-notify", "rename"] as const)(
    "never comes up through a proxy in mode %s (a transaction-mode pooler; a pooler that drops application_name, so revoke could not count it)",
    async (mode) => {
      const proxy = await startTcpProxy(db.url);
      proxy.mode = mode;
      const t = await arrange(proxy.url, FAST);
      try {
        // LISTEN itself succeeds through the proxy; only the notifications never arrive.
        await expect
          .poll(async () => {
            const [row] = await db.sql<{ n: number }[]>`
            select count(*)::int as n from pg_stat_activity
            where application_name like 'credential-free-jobs:api-%' and query like 'listen %'`;
            return row!.n;
          })
          .toBeGreaterThan(0);
        await expect.poll(() => t.events.length, { timeout: 3_000 }).toBeGreaterThanOrEqual(2);
        expect(t.events).not.toContain("up");
        expect(t.auth.caching()).toBe(false);
        await t.auth.verifier.verify(t.key);
        await t.auth.verifier.verify(t.key);
        expect(t.lookups()).toBe(2);
      } finally {
        await t.close();
        await proxy.close();
      }
    },
  );
});
