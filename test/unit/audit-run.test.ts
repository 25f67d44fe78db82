import { randomUUID } from "node:crypto";
import { InngestTestEngine } from "@inngest/test";
import { describe, expect, it } from "vitest";
import type { RpcClient } from "../../src/db/rpc/rpc-client.ts";
import type { GitHubAuditSource } from "../../src/github/github-app.ts";
import { readEnv } from "../../src/config/env.ts";
import { createInngestClient } from "../../src/inngest/client.ts";
import { auditRun } from "../../src/inngest/events.ts";
import { createAuditRun } from "../../src/inngest/functions/audit-run.ts";
import { createLogger } from "../../src/log/logger.ts";
import { AUDIT_SIGNALS as SIGNALS } from "../support/fixtures.ts";

// Focused unit tests of audit-run with @inngest/test: steps that touch the database
// are mocked by id, so these assert the function's own decisions. The database
// paths run against real Postgres in test/e2e.
// Configured, never called: audit-run itself makes no GitHub call.
const configured: GitHubAuditSource = {
  collectAuditSignals: () => Promise.reject(new Error("audit-run must not call GitHub")),
};
const noDatabase = {
  transport: "sql",
  call: () => Promise.reject(new Error("no database call expected")),
  close: async () => undefined,
} as unknown as RpcClient;

// Every GitHub call is audit-collect's (test/unit/audit-collect.test.ts): here the invocation
// is mocked by its step id, as Inngest memoizes the child's result under it.
function engineFor(steps: { id: string; handler: () => unknown }[]) {
  const logger = createLogger({ level: "silent" });
  const inngest = createInngestClient({
    env: readEnv({ NODE_ENV: "test", INNGEST_DEV: "1" }),
    logger,
  });
  const fn = createAuditRun(inngest, { rpc: noDatabase, github: configured, logger });
  const event = auditRun.create(
    { userId: randomUUID(), githubLogin: "octo", githubId: 1 },
    { id: "evt-1" },
  );
  // A new engine per test: @inngest/test caches step results inside an engine.
  return new InngestTestEngine({
    function: fn,
    events: [{ name: event.name, data: event.data, id: "evt-1" }],
    steps,
  });
}

const collected = { id: "collect-signals", handler: () => ({ ok: true, signals: SIGNALS }) };

const resolved = {
  id: "resolve-auth",
  handler: () => ({ kind: "installation", installationId: 7, githubLogin: "octo" }),
};

describe("audit-run (unit)", () => {
  it("invokes audit-collect with the installation resolve-auth chose", async () => {
    const { result, ctx } = await engineFor([
      resolved,
      { id: "collect-signals", handler: () => ({ ok: false, reason: "github_user_not_found" }) },
      {
        id: "record-failed-audit",
        handler: () => ({
          auditId: 4,
          status: "failed",
          reason: "github_user_not_found",
          xp: null,
          level: null,
          announced: false,
          changed: true,
        }),
      },
    ]).execute();
    expect(ctx.step.invoke).toHaveBeenCalledWith(
      "collect-signals",
      expect.objectContaining({ data: { installationId: 7, login: "octo" } }),
    );
    expect(ctx.step.run).not.toHaveBeenCalledWith("deactivate-installation", expect.anything());
    expect(result).toMatchObject({ status: "failed", reason: "github_user_not_found", auditId: 4 });
  });

  it("reports what the database recorded, and announces the completion it made", async () => {
    // The row says xp 300 / level 1, whatever this run scored: the result follows the row.
    const row = { auditId: 11, status: "completed", reason: null, xp: 300, level: 1 };
    const engine = engineFor([
      resolved,
      collected,
      { id: "record-audit", handler: () => ({ ...row, announced: false, changed: true }) },
      { id: "emit-audit-completed", handler: () => ({ ids: ["x"] }) },
      { id: "mark-announced", handler: () => [{ audit_id: 11, announced_at: new Date() }] },
    ]);
    const { result, ctx } = await engine.execute();
    expect(result).toEqual(row);
    expect(ctx.step.invoke).toHaveBeenCalledWith("collect-signals", expect.anything());
    expect(ctx.step.sendEvent).toHaveBeenCalledWith(
      "emit-audit-completed",
      expect.objectContaining({
        id: "audit-completed-11",
        data: expect.objectContaining({ xp: 300, level: 1 }),
      }),
    );
  });

  it("does not announce a completion another run made (a racing rerun)", async () => {
    const row = { auditId: 12, status: "completed", reason: null, xp: 300, level: 1 };
    const { result, ctx } = await engineFor([
      resolved,
      collected,
      { id: "record-audit", handler: () => ({ ...row, announced: false, changed: false }) },
    ]).execute();
    expect(result).toEqual(row);
    expect(ctx.step.sendEvent).not.toHaveBeenCalled();
  });

  it("ends skipped without calling GitHub when resolve-auth finds no installation", async () => {
    const { result, ctx } = await engineFor([
      {
        id: "resolve-auth",
        handler: () => ({
          kind: "skip",
          reason: "no_auth_source",
          record: true,
          installationId: null,
        }),
      },
      {
        id: "record-skipped-audit",
        handler: () => ({
          auditId: 3,
          status: "skipped",
          reason: "no_auth_source",
          xp: null,
          level: null,
          announced: false,
          changed: true,
        }),
      },
    ]).execute();
    expect(result).toEqual({
      status: "skipped",
      reason: "no_auth_source",
      auditId: 3,
      xp: null,
      level: null,
    });
    expect(ctx.step.invoke).not.toHaveBeenCalled();
  });
});
