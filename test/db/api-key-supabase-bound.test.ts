import { http, HttpResponse } from "msw";
import { describe, expect, it } from "vitest";
import { createApiKeyAuth } from "../../src/api-keys/api-key-auth.ts";
import { generateApiKey } from "../../src/api-keys/api-key-format.ts";
import { SessionError } from "../../src/auth/session-error.ts";
import { RpcError } from "../../src/db/rpc/errors.ts";
import { createRpcClient } from "../../src/db/rpc/rpc-client.ts";
import { createSqlTransport } from "../../src/db/rpc/sql-transport.ts";
import { createSupabaseTransport } from "../../src/db/rpc/supabase-transport.ts";
import { createSql } from "../../src/db/sql-client.ts";
import { collectingLogger } from "../support/collecting-logger.ts";
import { createUser } from "../support/fixtures.ts";
import { useMsw } from "../support/msw.ts";
import { useTestDatabase } from "../support/pg.ts";

const SUPABASE_URL = "https://project-ref.supabase.test";
const db = useTestDatabase();
const server = useMsw();
const TTL_MS = 10_000;

/**
 * supabase-js against the real database: msw plays PostgREST and runs each
 * `/rest/v1/rpc/<name>` as the SQL transport would. No LISTEN exists on this path.
 */
function supabaseOverRealDatabase(requests: string[]) {
  const sql = createSqlTransport(createSql(db.url, { max: 2, role: "service_role" }));
  server.use(
    http.post(`${SUPABASE_URL}/rest/v1/rpc/:name`, async ({ params, request }) => {
      const name = String(params.name);
      requests.push(name);
      try {
        return HttpResponse.json(
          await sql.call(name, (await request.json()) as Record<string, unknown>),
        );
      } catch (err) {
        const code = err instanceof RpcError ? err.code : "XX000";
        return HttpResponse.json(
          { code, message: "refused", details: null, hint: null },
          { status: 400 },
        );
      }
    }),
  );
  const rpc = createRpcClient(
    createSupabaseTransport({ url: SUPABASE_URL, serviceRoleKey: `fixture-${Date.now()}` }),
  );
  return { rpc, close: () => sql.close() };
}

async function arrange(cacheTtlMs: number) {
  const requests: string[] = [];
  const { rpc, close } = supabaseOverRealDatabase(requests);
  let now = Date.parse("2026-11-24T12:00:00Z");
  const auth = createApiKeyAuth({
    rpc,
    revocations: null,
    cacheTtlMs,
    rateLimit: { perMinute: 1000, burst: 1000 },
    logger: collectingLogger().logger,
    now: () => now,
  });
  const user = await createUser(db.sql);
  const { key, hash, displayPrefix } = generateApiKey();
  const [row] = await rpc.call("create_api_key", {
    p_user_id: user.id,
    p_name: "supabase",
    p_key_hash: hash,
    p_display_prefix: displayPrefix,
    p_expires_at: null,
  });
  // Revoked by another instance: nothing reaches this one.
  const revokeElsewhere = () =>
    db.sql`select * from public.revoke_api_key(${row!.id}, ${user.id}::uuid)`;
  const advance = (ms: number) => (now += ms);
  requests.length = 0;
  return { auth, key, keyId: row!.id, requests, revokeElsewhere, advance, close };
}

const refused = new SessionError("api_key_invalid");

describe("API keys on the supabase-js transport (no LISTEN)", () => {
  it(`bounds a revocation made elsewhere by the cache TTL: accepted until ${TTL_MS} ms after validation, refused from then on`, async () => {
    const t = await arrange(TTL_MS);
    try {
      await t.auth.verifier.verify(t.key);
      expect(t.requests).toEqual(["authenticate_api_key"]);
      await t.revokeElsewhere();

      t.advance(TTL_MS - 1);
      await expect(t.auth.verifier.verify(t.key)).resolves.toMatchObject({
        actorSource: "api_key",
      });
      expect(t.requests).toEqual(["authenticate_api_key"]);

      t.advance(1);
      await expect(t.auth.verifier.verify(t.key)).rejects.toEqual(refused);
      expect(t.requests).toEqual(["authenticate_api_key", "authenticate_api_key"]);
    } finally {
      await t.close();
    }
  });

  it("refuses at once on the instance that revoked it", async () => {
    const t = await arrange(TTL_MS);
    try {
      await t.auth.verifier.verify(t.key);
      await t.revokeElsewhere();
      t.auth.forget(t.keyId); // what revoke-api-key does after its RPC
      await expect(t.auth.verifier.verify(t.key)).rejects.toEqual(refused);
    } finally {
      await t.close();
    }
  });

  it("with API_KEY_CACHE_TTL_SECONDS=0 caches nothing: refused on the next request", async () => {
    const t = await arrange(0);
    try {
      await t.auth.verifier.verify(t.key);
      await t.auth.verifier.verify(t.key);
      await t.revokeElsewhere();
      await expect(t.auth.verifier.verify(t.key)).rejects.toEqual(refused);
      expect(t.requests.filter((r) => r === "authenticate_api_key")).toHaveLength(3);
    } finally {
      await t.close();
    }
  });
});
