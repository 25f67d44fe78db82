import { describe, expect, it } from "vitest";
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
  };
}

async function arrange(feedUrl: string) {
  const { logger } = collectingLogger();
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
  const feed = recorded(createPgRevocationFeed({ url: feedUrl, logger, retryMs: 20 }), events);
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
  return { auth, events, lookups, key, keyId: row!.id, userId: user.id, real, close };
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
});
