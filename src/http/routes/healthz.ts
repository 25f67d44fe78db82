import type { Hono } from "hono";
import type { RpcClient } from "../../db/rpc/rpc-client.ts";

const TIMEOUT_MS = 2_000;

/** 200 when the data path answers within 2 s, else 503; never a stack trace. */
export function registerHealthz(app: Hono, deps: { rpc: RpcClient }) {
  app.get("/healthz", async (c) => {
    const database = await Promise.race([
      deps.rpc.call("healthcheck", {}).then(
        (rows) => (rows[0]?.ok ? "ok" : "unavailable"),
        () => "unavailable",
      ),
      new Promise<string>((resolve) => setTimeout(resolve, TIMEOUT_MS, "timeout").unref()),
    ]);
    const ok = database === "ok";
    return c.json(
      { status: ok ? "ok" : "unavailable", database, transport: deps.rpc.transport },
      ok ? 200 : 503,
    );
  });
}
