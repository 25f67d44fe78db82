import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { freePort } from "../../src/db/free-port.ts";
import { DatabaseUnavailableError } from "../../src/db/rpc/errors.ts";
import { createRpcClient } from "../../src/db/rpc/rpc-client.ts";
import { createSqlTransport } from "../../src/db/rpc/sql-transport.ts";
import { createSql } from "../../src/db/sql-client.ts";
import { registerHealthz } from "../../src/http/routes/healthz.ts";

describe("database down", () => {
  it("surfaces a retryable DatabaseUnavailableError, not a driver error, and /healthz answers 503", async () => {
    // Nothing listens on this port: the connection is refused.
    const url = `postgres://postgres:unused@127.0.0.1:${await freePort()}/postgres`;
    const rpc = createRpcClient(createSqlTransport(createSql(url, { max: 1 })));
    const failure = await rpc.call("healthcheck", {}).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(DatabaseUnavailableError);
    expect((failure as DatabaseUnavailableError).retryable).toBe(true);
    expect((failure as Error).message).not.toContain("unused");

    const app = new Hono();
    registerHealthz(app, { rpc });
    const res = await app.request("/healthz");
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({
      status: "unavailable",
      database: "unavailable",
      transport: "sql",
    });
    await rpc.close();
  });
});
