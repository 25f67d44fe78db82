import { http, HttpResponse } from "msw";
import { describe, expect, it } from "vitest";
import {
  ClaimLimitReachedError,
  DatabaseUnavailableError,
  PermissionDeniedError,
  RecommendationNotFoundError,
  RecommendationNotOpenError,
  RpcContractError,
} from "../../src/db/rpc/errors.ts";
import { createRpcClient } from "../../src/db/rpc/rpc-client.ts";
import { createSupabaseTransport } from "../../src/db/rpc/supabase-transport.ts";
import { useMsw } from "../support/msw.ts";

const SUPABASE_URL = "https://project-ref.supabase.test";
// Built at run time: a fixture, not a credential.
const SERVICE_KEY = ["fixture", "service", "role", Date.now().toString(36)].join("-");
const USER = "7d3c4b8e-1f2a-4c5d-9e6f-0a1b2c3d4e5f";

const server = useMsw();
const rpc = createRpcClient(
  createSupabaseTransport({ url: SUPABASE_URL, serviceRoleKey: SERVICE_KEY }),
);

function postgrestError(status: number, code: string, message: string) {
  return HttpResponse.json({ code, message, details: null, hint: null }, { status });
}

describe("supabase-js RPC transport", () => {
  it("POSTs the named arguments to /rest/v1/rpc/<name> with the service-role headers", async () => {
    const seen: { url: string; headers: Record<string, string>; body: unknown }[] = [];
    server.use(
      http.post(`${SUPABASE_URL}/rest/v1/rpc/claim_recommendation_atomic`, async ({ request }) => {
        seen.push({
          url: request.url,
          headers: Object.fromEntries(request.headers),
          body: await request.json(),
        });
        return HttpResponse.json([{ id: 42 }]);
      }),
    );
    expect(
      await rpc.call("claim_recommendation_atomic", { p_rec_id: 42, p_user_id: USER }),
    ).toEqual([{ id: 42 }]);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.body).toEqual({ p_rec_id: 42, p_user_id: USER });
    expect(seen[0]!.headers.apikey).toBe(SERVICE_KEY);
    expect(seen[0]!.headers.authorization).toBe(`Bearer ${SERVICE_KEY}`);
  });

  it.each([
    ["CF001", 400, ClaimLimitReachedError],
    ["CF002", 400, RecommendationNotFoundError],
    ["CF003", 400, RecommendationNotOpenError],
    ["42501", 403, PermissionDeniedError],
    ["PGRST202", 404, RpcContractError],
    ["PGRST001", 503, DatabaseUnavailableError],
    // Transient Postgres states PostgREST passes on: recovery, failover, disk full.
    ["57P03", 500, DatabaseUnavailableError],
    ["25006", 405, DatabaseUnavailableError],
    ["53100", 503, DatabaseUnavailableError],
    // An unknown code behind a 503 is still an outage, not a server fault.
    ["XX001", 503, DatabaseUnavailableError],
  ] as const)(
    "maps PostgREST code %s to the same domain error as the SQL transport",
    async (code, status, ErrorClass) => {
      server.use(
        http.post(`${SUPABASE_URL}/rest/v1/rpc/claim_recommendation_atomic`, () =>
          postgrestError(status, code, "from postgrest"),
        ),
      );
      const failure = await rpc
        .call("claim_recommendation_atomic", { p_rec_id: 1, p_user_id: USER })
        .catch((e: unknown) => e);
      expect(failure).toBeInstanceOf(ErrorClass);
      expect(String((failure as Error).message)).not.toContain(SERVICE_KEY);
    },
  );

  it("reports an unreachable Supabase as a retryable DatabaseUnavailableError", async () => {
    server.use(http.post(`${SUPABASE_URL}/rest/v1/rpc/healthcheck`, () => HttpResponse.error()));
    const failure = await rpc.call("healthcheck", {}).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(DatabaseUnavailableError);
    expect((failure as DatabaseUnavailableError).retryable).toBe(true);
  });

  it("rejects an answer that breaks the RPC's row contract", async () => {
    server.use(
      http.post(`${SUPABASE_URL}/rest/v1/rpc/claim_recommendation_atomic`, () =>
        HttpResponse.json([{ id: "forty-two" }]),
      ),
    );
    await expect(
      rpc.call("claim_recommendation_atomic", { p_rec_id: 1, p_user_id: USER }),
    ).rejects.toBeInstanceOf(RpcContractError);
  });
});
