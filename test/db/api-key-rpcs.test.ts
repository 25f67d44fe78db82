import { describe, expect, it } from "vitest";
import { generateApiKey } from "../../src/api-keys/api-key-format.ts";
import {
  ApiKeyLimitReachedError,
  ApiKeyNotFoundError,
  InvalidArgumentsError,
  ProfileMissingError,
} from "../../src/db/rpc/errors.ts";
import { createRpcClient } from "../../src/db/rpc/rpc-client.ts";
import { createSqlTransport } from "../../src/db/rpc/sql-transport.ts";
import { createSql } from "../../src/db/sql-client.ts";
import { asRole, sqlState } from "../support/as-role.ts";
import { createUser } from "../support/fixtures.ts";
import { useTestDatabase } from "../support/pg.ts";

const db = useTestDatabase();
const CONCURRENCY = 24;

function serviceRpc(max = 4) {
  return createRpcClient(createSqlTransport(createSql(db.url, { max, role: "service_role" })));
}

function createArgs(userId: string, expiresAt: Date | null = null) {
  const { key, hash, displayPrefix } = generateApiKey();
  return {
    key,
    args: {
      p_user_id: userId,
      p_name: "ci",
      p_key_hash: hash,
      p_display_prefix: displayPrefix,
      p_expires_at: expiresAt,
    },
  };
}

const activeKeys = async (userId: string) =>
  (
    await db.sql<{ n: number }[]>`
      select count(*)::int as n from public.api_keys
      where user_id = ${userId} and revoked_at is null and (expires_at is null or expires_at > now())`
  )[0]!.n;

describe("create_api_key: at most 5 active keys per user", () => {
  it(`holds under ${CONCURRENCY} concurrent creations, round after round`, async () => {
    const rpc = serviceRpc(CONCURRENCY);
    const user = await createUser(db.sql);
    try {
      for (let round = 0; round < 5; round++) {
        await db.sql`update public.api_keys set revoked_at = now(), revoked_by = 'system:test' where user_id = ${user.id} and revoked_at is null`;
        const outcomes = await Promise.allSettled(
          Array.from({ length: CONCURRENCY }, () =>
            rpc.call("create_api_key", createArgs(user.id).args),
          ),
        );
        const refused = outcomes.flatMap((o) =>
          o.status === "rejected" ? [o.reason as unknown] : [],
        );
        expect(
          outcomes.filter((o) => o.status === "fulfilled"),
          `round ${round}`,
        ).toHaveLength(5);
        expect(
          refused.every((e) => e instanceof ApiKeyLimitReachedError),
          `round ${round}`,
        ).toBe(true);
        expect(await activeKeys(user.id), `round ${round}`).toBe(5);
      }
    } finally {
      await rpc.close();
    }
  });

  it("does not count revoked or expired keys, records the creating user and refuses a past expiry or no profile", async () => {
    const rpc = serviceRpc();
    const user = await createUser(db.sql);
    const ghost = await createUser(db.sql);
    await db.sql`delete from public.profiles where id = ${ghost.id}`;
    try {
      const ids: number[] = [];
      for (let i = 0; i < 5; i++)
        ids.push((await rpc.call("create_api_key", createArgs(user.id).args))[0]!.id);
      await expect(rpc.call("create_api_key", createArgs(user.id).args)).rejects.toBeInstanceOf(
        ApiKeyLimitReachedError,
      );
      await rpc.call("revoke_api_key", { p_key_id: ids[0]!, p_user_id: user.id });
      await db.sql`update public.api_keys set created_at = now() - interval '2 days', expires_at = now() - interval '1 day' where id = ${ids[1]!}`;
      await rpc.call("create_api_key", createArgs(user.id).args);
      await rpc.call("create_api_key", createArgs(user.id, new Date(Date.now() + 86_400_000)).args);
      expect(await activeKeys(user.id)).toBe(5);

      const [row] = await db.sql`select created_by from public.api_keys where id = ${ids[2]!}`;
      expect(row).toEqual({ created_by: `user:${user.id}` });
      await expect(rpc.call("create_api_key", createArgs(ghost.id).args)).rejects.toBeInstanceOf(
        ProfileMissingError,
      );
      await db.sql`update public.api_keys set revoked_at = now(), revoked_by = 'system:test' where user_id = ${user.id}`;
      await expect(
        rpc.call("create_api_key", createArgs(user.id, new Date(Date.now() - 1000)).args),
      ).rejects.toBeInstanceOf(InvalidArgumentsError);
    } finally {
      await rpc.close();
    }
  });
});

describe("list_api_keys", () => {
  it("lists every active key first, even behind 120 newer revoked or expired ones, then the newest of those up to 100", async () => {
    const rpc = serviceRpc();
    const user = await createUser(db.sql);
    try {
      const [old] = await rpc.call("create_api_key", createArgs(user.id).args);
      await db.sql`
        insert into public.api_keys
          (user_id, name, key_hash, display_prefix, revoked_at, revoked_by, created_by)
        select ${user.id}, 'old', encode(sha256(convert_to(${user.id} || i, 'UTF8')), 'hex'),
               'cfk_abcdefgh', now(), ${`user:${user.id}`}, ${`user:${user.id}`}
          from generate_series(1, 119) i`;
      await db.sql`
        insert into public.api_keys
          (user_id, name, key_hash, display_prefix, created_at, expires_at, created_by)
        values (${user.id}, 'expired', ${"e".repeat(64)}, 'cfk_abcdefgh',
                now() - interval '2 days', now() - interval '1 day', ${`user:${user.id}`})`;
      const [recent] = await rpc.call("create_api_key", createArgs(user.id).args);

      const rows = await rpc.call("list_api_keys", { p_user_id: user.id });
      expect(rows).toHaveLength(100);
      expect(rows.slice(0, 2).map((r) => r.id)).toEqual([recent!.id, old!.id]);
      const inactive = rows.slice(2);
      expect(inactive.every((r) => r.revoked_at !== null || r.name === "expired")).toBe(true);
      expect(inactive[0]).toMatchObject({ name: "expired", revoked_at: null });
      const ids = inactive.map((r) => r.id);
      expect(ids, "newest inactive first").toEqual([...ids].sort((a, b) => b - a));
    } finally {
      await rpc.close();
    }
  });
});

describe("revoke_api_key", () => {
  it("refuses someone else's key as not found and leaves it valid; revokes the owner's, naming them, and notifies", async () => {
    const rpc = serviceRpc();
    const owner = await createUser(db.sql);
    const other = await createUser(db.sql);
    const { args } = createArgs(owner.id);
    const heard: string[] = [];
    const listening = await db.sql.listen("api_key_revoked", (payload) => heard.push(payload));
    try {
      const [created] = await rpc.call("create_api_key", args);
      const keyId = created!.id;
      await expect(
        rpc.call("revoke_api_key", { p_key_id: keyId, p_user_id: other.id }),
      ).rejects.toBeInstanceOf(ApiKeyNotFoundError);
      expect(await rpc.call("authenticate_api_key", { p_key_hash: args.p_key_hash })).toEqual([
        { key_id: keyId, user_id: owner.id, expires_at: null },
      ]);

      const [first] = await rpc.call("revoke_api_key", { p_key_id: keyId, p_user_id: owner.id });
      const [again] = await rpc.call("revoke_api_key", { p_key_id: keyId, p_user_id: owner.id });
      expect(first).toMatchObject({ id: keyId, changed: true });
      expect(again).toEqual({ ...first, changed: false });
      expect(await rpc.call("authenticate_api_key", { p_key_hash: args.p_key_hash })).toEqual([]);
      const [row] = await db.sql`select revoked_by from public.api_keys where id = ${keyId}`;
      expect(row).toEqual({ revoked_by: `user:${owner.id}` });
      await expect.poll(() => heard).toEqual([String(keyId), String(keyId)]);
      await expect(
        rpc.call("revoke_api_key", { p_key_id: keyId + 1000, p_user_id: owner.id }),
      ).rejects.toBeInstanceOf(ApiKeyNotFoundError);
    } finally {
      await listening.unlisten();
      await rpc.close();
    }
  });
});

describe("authenticate_api_key and touch_api_key", () => {
  it("answer only for an active key, and write last_used_at at most once a minute", async () => {
    const rpc = serviceRpc();
    const user = await createUser(db.sql);
    try {
      const { args } = createArgs(user.id);
      const [created] = await rpc.call("create_api_key", args);
      const lastUsed = async () =>
        (await db.sql`select last_used_at from public.api_keys where id = ${created!.id}`)[0]!
          .last_used_at as Date | null;
      expect(await lastUsed()).toBeNull();
      await rpc.call("authenticate_api_key", { p_key_hash: args.p_key_hash });
      const first = await lastUsed();
      expect(first).toBeInstanceOf(Date);
      // The write names its actor, like every other.
      expect(
        (await db.sql`select last_used_by from public.api_keys where id = ${created!.id}`)[0],
      ).toEqual({ last_used_by: "system:api-key-auth" });
      await rpc.call("authenticate_api_key", { p_key_hash: args.p_key_hash });
      expect(await rpc.call("touch_api_key", { p_key_id: created!.id })).toEqual([
        { touched: false },
      ]);
      expect(await lastUsed()).toEqual(first);
      await db.sql`update public.api_keys set last_used_at = now() - interval '2 minutes' where id = ${created!.id}`;
      expect(await rpc.call("touch_api_key", { p_key_id: created!.id })).toEqual([
        { touched: true },
      ]);

      await db.sql`update public.api_keys set created_at = now() - interval '2 days', expires_at = now() - interval '1 second' where id = ${created!.id}`;
      expect(await rpc.call("authenticate_api_key", { p_key_hash: args.p_key_hash })).toEqual([]);
      expect(await rpc.call("authenticate_api_key", { p_key_hash: generateApiKey().hash })).toEqual(
        [],
      );
    } finally {
      await rpc.close();
    }
  });
});

describe("grants", () => {
  const calls = {
    create_api_key: (tx: Parameters<Parameters<typeof asRole>[3]>[0], user: string) =>
      tx`select * from public.create_api_key(${user}::uuid, 'x', ${"a".repeat(64)}, 'cfk_abcdefgh', null)`,
    list_api_keys: (tx: Parameters<Parameters<typeof asRole>[3]>[0], user: string) =>
      tx`select * from public.list_api_keys(${user}::uuid)`,
    revoke_api_key: (tx: Parameters<Parameters<typeof asRole>[3]>[0], user: string) =>
      tx`select * from public.revoke_api_key(1, ${user}::uuid)`,
    authenticate_api_key: (tx: Parameters<Parameters<typeof asRole>[3]>[0]) =>
      tx`select * from public.authenticate_api_key(${"a".repeat(64)})`,
    touch_api_key: (tx: Parameters<Parameters<typeof asRole>[3]>[0]) =>
      tx`select * from public.touch_api_key(1)`,
  };

  it("lets anon and authenticated execute none of the API-key functions (42501)", async () => {
    const user = await createUser(db.sql);
    const outcomes: Record<string, string> = {};
    for (const role of ["anon", "authenticated"] as const)
      for (const [name, call] of Object.entries(calls))
        outcomes[`${role} ${name}`] = await asRole(db.sql, role, { sub: user.id, role }, (tx) =>
          sqlState(call(tx, user.id)),
        );
    expect(new Set(Object.values(outcomes))).toEqual(new Set(["42501"]));
  });

  it("gives service_role EXECUTE and SELECT, but no direct INSERT or UPDATE on api_keys", async () => {
    const user = await createUser(db.sql);
    // One transaction each: a refused statement aborts the rest of its transaction.
    const as = (call: (tx: Parameters<Parameters<typeof asRole>[3]>[0]) => Promise<unknown>) =>
      asRole(db.sql, "service_role", {}, (tx) => sqlState(call(tx)));
    const outcomes = {
      list: await as((tx) => calls.list_api_keys(tx, user.id)),
      select: await as((tx) => tx`select id from public.api_keys`),
      insert: await as(
        (tx) => tx`insert into public.api_keys (user_id, name, key_hash, display_prefix, created_by)
           values (${user.id}, 'x', ${"b".repeat(64)}, 'cfk_abcdefgh', ${`user:${user.id}`})`,
      ),
      update: await as((tx) => tx`update public.api_keys set revoked_at = null`),
    };
    expect(outcomes).toEqual({ list: "ok", select: "ok", insert: "42501", update: "42501" });
  });
});
