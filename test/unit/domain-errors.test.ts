import { readFile, readdir } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { MIGRATIONS_DIR } from "../../src/db/migrate.ts";
import {
  DatabaseUnavailableError,
  GitHubIdentityMissingError,
  PermissionDeniedError,
  RpcContractError,
  RpcError,
  errorForCode,
} from "../../src/db/rpc/errors.ts";
import { ActionError } from "../../src/http/actions/action-error.ts";
import { errorResponse } from "../../src/http/actions/error-response.ts";

/** Every SQLSTATE a migration raises on purpose, e.g. `errcode = 'CF001'`. */
async function raisedSqlstates(): Promise<Map<string, string[]>> {
  const found = new Map<string, string[]>();
  for (const file of (await readdir(MIGRATIONS_DIR)).filter((f) => f.endsWith(".sql"))) {
    const text = await readFile(path.join(MIGRATIONS_DIR, file), "utf8");
    for (const [, code] of text.matchAll(/errcode\s*=\s*'([0-9A-Z]{5})'/g)) {
      found.set(code!, [...(found.get(code!) ?? []), file]);
    }
  }
  return found;
}

describe("one table of domain errors", () => {
  it("maps every CF… SQLSTATE the migrations raise to a typed error the client can act on", async () => {
    const raised = await raisedSqlstates();
    const domainCodes = [...raised.keys()].filter((code) => code.startsWith("CF"));
    // Negative control: the scan must see the codes we know exist.
    expect(domainCodes).toEqual(expect.arrayContaining(["CF001", "CF002", "CF005", "CF006"]));

    for (const code of domainCodes) {
      const err = errorForCode("some_rpc", code);
      const where = `${code} (raised in ${raised.get(code)!.join(", ")})`;
      expect(err.constructor, where).not.toBe(RpcError);
      expect(err.status, where).not.toBe(500);
      expect(err.clientCode, where).toMatch(/^[a-z][a-z0-9_]+$/);
      expect(errorResponse(err), where).toMatchObject({
        status: err.status,
        body: { error: err.clientCode },
      });
    }
  });

  it("maps every other SQLSTATE the migrations raise to a typed error too", async () => {
    for (const code of (await raisedSqlstates()).keys()) {
      expect(errorForCode("some_rpc", code).constructor, code).not.toBe(RpcError);
    }
  });

  it("answers a user without a GitHub identity with 409 and what to do", () => {
    const err = errorForCode("bootstrap_profile", "CF005");
    expect(err).toBeInstanceOf(GitHubIdentityMissingError);
    expect(errorResponse(err)).toEqual({
      status: 409,
      body: {
        error: "github_identity_missing",
        message: expect.stringMatching(/sign in with GitHub/i),
      },
    });
  });

  it("keeps server and schema faults internal: no code of their own, so a 500", () => {
    for (const err of [
      new PermissionDeniedError("x", "42501", "permission denied"),
      new RpcContractError("x", "contract", "bad rows"),
      errorForCode("x", "XX000"),
    ]) {
      expect(err.status).toBe(500);
      expect(errorResponse(err)).toBeUndefined();
    }
  });

  it.each([
    ["08006", "connection failure"],
    ["25006", "read-only server, e.g. a standby mid-failover"],
    ["53100", "disk full"],
    ["53200", "out of memory"],
    ["55P03", "lock not available"],
    ["57P02", "crash shutdown"],
    ["57P03", "cannot connect now (starting up, recovery)"],
    ["58030", "I/O error"],
  ])("maps the transient SQLSTATE %s (%s) to a retryable 503", (code) => {
    const err = errorForCode("x", code);
    expect(err).toBeInstanceOf(DatabaseUnavailableError);
    expect(err).toMatchObject({ status: 503, retryable: true, code });
  });

  it("tells clients when to retry a database outage", () => {
    const err = new DatabaseUnavailableError("x", "08006", "connection failure");
    expect(errorResponse(err)).toEqual({
      status: 503,
      body: { error: "database_unavailable" },
      headers: { "retry-after": "5" },
    });
  });

  it("passes an action's own refusal through with its public message", () => {
    expect(errorResponse(new ActionError(422, "nope", "do this instead"))).toEqual({
      status: 422,
      body: { error: "nope", message: "do this instead" },
    });
  });

  it("never puts the internal message (which names the RPC) in a response", () => {
    const err = errorForCode("claim_recommendation_atomic", "CF001");
    expect(JSON.stringify(errorResponse(err))).not.toContain("claim_recommendation_atomic");
  });
});
