import { createHash } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { freePort } from "../../src/db/free-port.ts";
import type { RpcClient } from "../../src/db/rpc/rpc-client.ts";
import { createRpcClient } from "../../src/db/rpc/rpc-client.ts";
import { createSqlTransport } from "../../src/db/rpc/sql-transport.ts";
import { createSql } from "../../src/db/sql-client.ts";
import { createUser } from "../support/fixtures.ts";
import { useAuditStack } from "./audit-stack.ts";

const stack = useAuditStack();
const { db } = stack;

/** Records every RPC an application makes, to tell a cache hit from a database lookup. */
function counting(calls: string[]) {
  return (rpc: RpcClient): RpcClient => ({
    transport: rpc.transport,
    call(name, args) {
      calls.push(name);
      return rpc.call(name, args);
    },
    close: () => rpc.close(),
  });
}

const downRpcs: RpcClient[] = [];
afterEach(async () => {
  for (const rpc of downRpcs.splice(0)) await rpc.close();
});
/** An RPC client whose database is down: nothing listens on its port. */
async function databaseDown(): Promise<RpcClient> {
  const url = `postgres://postgres:unused@127.0.0.1:${await freePort()}/postgres`;
  const rpc = createRpcClient(createSqlTransport(createSql(url, { max: 1 })));
  downRpcs.push(rpc);
  return rpc;
}

type Stack = ReturnType<typeof stack.arrange>;
const cachingOn = (s: Stack) => expect.poll(() => s.application.apiKeys.caching()).toBe(true);
const keyRow = async (id: number) =>
  (
    await db.sql`select revoked_at, revoked_by, created_by from public.api_keys where id = ${id}`
  )[0];

describe("API keys over HTTP", () => {
  it("with the cache warm: create, use, revoke, and the very next request is refused", async () => {
    const calls: string[] = [];
    const s = stack.arrange({ github: false, wrapRpc: counting(calls) });
    await cachingOn(s);
    const user = await createUser(db.sql);
    const token = await s.userToken(user);
    const created = await s.action("create-api-key", token, { name: "ci", expiresInDays: 30 });
    expect(created.status).toBe(200);
    const { data } = (await created.json()) as {
      data: { id: number; key: string; displayPrefix: string; expiresAt: string };
    };
    expect(data).toMatchObject({ name: "ci", displayPrefix: data.key.slice(0, 12) });
    expect(new Date(data.expiresAt).getTime()).toBeGreaterThan(Date.now() + 29 * 86_400_000);

    expect((await s.action("get-profile", data.key)).status).toBe(200);
    const lookups = () => calls.filter((c) => c === "authenticate_api_key").length;
    expect(lookups()).toBe(1);
    expect((await s.action("get-profile", data.key)).status).toBe(200);
    expect(lookups(), "the second use is served from the cache").toBe(1);

    const revoked = await s.action("revoke-api-key", token, { keyId: data.id });
    expect(revoked.status).toBe(200);
    expect(await revoked.json()).toMatchObject({ data: { id: data.id, status: "revoked" } });

    const refused = await s.action("get-profile", data.key);
    expect(refused.status).toBe(401);
    expect(await refused.json()).toEqual({ error: "unauthorized", reason: "api_key_invalid" });
    expect(await keyRow(data.id)).toMatchObject({
      created_by: `user:${user.id}`,
      revoked_by: `user:${user.id}`,
    });

    // Listed with its status and display prefix; the key itself is never shown again.
    const list = await (await s.action("list-api-keys", token)).json();
    expect(list).toEqual({
      data: {
        items: [
          expect.objectContaining({
            id: data.id,
            displayPrefix: data.displayPrefix,
            status: "revoked",
            lastUsedAt: expect.any(String),
          }),
        ],
      },
    });
    const hash = createHash("sha256").update(data.key).digest("hex");
    expect(JSON.stringify(list)).not.toContain(data.key);
    const logs = s.logLines.join("");
    for (const leak of [data.key, hash, data.displayPrefix]) expect(logs).not.toContain(leak);
    expect(await stack.databaseText()).not.toContain(data.key);
  });

  it("two instances on one database: revoked on A, refused on B's next request", async () => {
    const callsB: string[] = [];
    const a = stack.arrange({ github: false });
    const b = stack.arrange({ github: false, wrapRpc: counting(callsB) });
    await cachingOn(a);
    await cachingOn(b);
    const user = await createUser(db.sql);
    const token = await a.userToken(user);
    const { id, key } = await a.apiKey(token);
    expect((await b.action("get-profile", key)).status).toBe(200);
    expect((await b.action("get-profile", key)).status).toBe(200);
    expect(
      callsB.filter((c) => c === "authenticate_api_key"),
      "B's cache is warm",
    ).toHaveLength(1);

    // A answers once every listening instance (A and B) has acknowledged dropping the key.
    expect((await a.action("revoke-api-key", token, { keyId: id })).status).toBe(200);
    expect(a.logLines.join("")).not.toContain("not every instance acknowledged");
    const res = await b.action("get-profile", key);
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ error: "unauthorized", reason: "api_key_invalid" });
  });

  it("another user's key id answers 404, and that key keeps working", async () => {
    const s = stack.arrange({ github: false });
    const owner = await createUser(db.sql);
    const intruder = await createUser(db.sql);
    const { id, key } = await s.apiKey(await s.userToken(owner));

    const res = await s.action("revoke-api-key", await s.userToken(intruder), { keyId: id });
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: "api_key_not_found" });
    expect(await keyRow(id)).toMatchObject({ revoked_at: null });
    expect((await s.action("get-profile", key)).status).toBe(200);
  });

  it("database down while validating: 503 with no detail, and the action does not run", async () => {
    const healthy = stack.arrange({ github: false });
    const user = await createUser(db.sql);
    const { key } = await healthy.apiKey(await healthy.userToken(user));
    const down = await databaseDown();
    const s = stack.arrange({ github: false, wrapRpc: () => down });

    for (const action of ["get-profile", "request-audit"]) {
      const res = await s.action(action, key);
      expect(res.status, action).toBe(503);
      expect(res.headers.get("retry-after")).toBe("5");
      expect(await res.json()).toEqual({ error: "auth_unavailable" });
    }
    expect(s.executor.stored.events).toEqual([]);
    expect(s.logLines.join("")).not.toContain(key.slice(4, 12));
  });

  it("database down during the revoke's ownership check: refused with 503, the key unchanged and still valid", async () => {
    const healthy = stack.arrange({ github: false });
    const user = await createUser(db.sql);
    const token = await healthy.userToken(user);
    const { id, key } = await healthy.apiKey(token);
    const down = await databaseDown();
    const s = stack.arrange({ github: false, wrapRpc: () => down });

    const res = await s.action("revoke-api-key", token, { keyId: id });
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ error: "database_unavailable" });
    expect(await keyRow(id)).toMatchObject({ revoked_at: null, revoked_by: null });
    expect((await healthy.action("get-profile", key)).status).toBe(200);
  });

  it("rate-limits per key with 429 and Retry-After; other keys are not affected", async () => {
    const s = stack.arrange({
      github: false,
      env: { API_KEY_RATE_LIMIT_BURST: "2", API_KEY_RATE_LIMIT_PER_MINUTE: "6" },
    });
    const user = await createUser(db.sql);
    const token = await s.userToken(user);
    const busy = await s.apiKey(token, { name: "busy" });
    const quiet = await s.apiKey(token, { name: "quiet" });
    expect((await s.action("get-profile", busy.key)).status).toBe(200);
    expect((await s.action("get-profile", busy.key)).status).toBe(200);
    const limited = await s.action("get-profile", busy.key);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(Number(limited.headers.get("retry-after"))).toBeLessThanOrEqual(10);
    expect(await limited.json()).toMatchObject({ error: "rate_limited" });
    expect((await s.action("get-profile", quiet.key)).status).toBe(200);
    // A person's session is not an API key: never rate-limited here.
    expect((await s.action("get-profile", token)).status).toBe(200);
  });

  it("caps a user at 5 active keys (409), freeing a slot on revoke; refuses malformed keys without a lookup", async () => {
    const calls: string[] = [];
    const s = stack.arrange({ github: false, wrapRpc: counting(calls) });
    const user = await createUser(db.sql);
    const token = await s.userToken(user);
    const ids: number[] = [];
    for (let i = 0; i < 5; i++) ids.push((await s.apiKey(token, { name: `k${i}` })).id);
    const sixth = await s.action("create-api-key", token, { name: "k5" });
    expect(sixth.status).toBe(409);
    expect(await sixth.json()).toMatchObject({ error: "api_key_limit_reached" });
    expect((await s.action("revoke-api-key", token, { keyId: ids[0] })).status).toBe(200);
    expect((await s.action("create-api-key", token, { name: "k5" })).status).toBe(200);

    const { key } = await s.apiKey(await s.userToken(await createUser(db.sql)));
    const before = calls.length;
    const typo = `${key.slice(0, 20)}${key[20] === "a" ? "b" : "a"}${key.slice(21)}`;
    const res = await s.action("get-profile", typo);
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ error: "unauthorized", reason: "malformed" });
    expect(calls.length).toBe(before);
    // A client cannot pick the owner (a userId is dropped: the caller, at its cap, gets 409
    // and the named user gets no key) or the hash (an unknown key: 400).
    const other = await createUser(db.sql);
    const forged = await s.action("create-api-key", token, { name: "x", userId: other.id });
    expect(forged.status).toBe(409);
    expect(await db.sql`select id from public.api_keys where user_id = ${other.id}`).toEqual([]);
    expect((await s.action("create-api-key", token, { name: "x", keyHash: "00" })).status).toBe(
      400,
    );
  });
});
