import { randomBytes, randomUUID } from "node:crypto";
import { InngestTestEngine } from "@inngest/test";
import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import type { AuditSignals } from "../../src/audit/audit-signals.ts";
import type { RpcClient } from "../../src/db/rpc/rpc-client.ts";
import type { GitHubAuditSource } from "../../src/github/github-app.ts";
import { readEnv } from "../../src/config/env.ts";
import { createInngestClient } from "../../src/inngest/client.ts";
import { auditRun } from "../../src/inngest/events.ts";
import { createAuditRun } from "../../src/inngest/functions/audit-run.ts";
import { createLogger } from "../../src/log/logger.ts";

// Focused unit tests of audit-run with @inngest/test: steps that touch the database
// are mocked by id, so these assert the function's own decisions. The database
// paths run against real Postgres in test/e2e.
const TOKEN = `ghs_${randomBytes(18).toString("hex")}`;
const SIGNALS: AuditSignals = {
  accountAgeDays: 400,
  mergedPrs: 10,
  mergedPrsExternal: 4,
  closedIssues: 2,
  distinctLanguages: 3,
  yearlyContributions: 150,
  followers: 8,
};
const noDatabase = {
  transport: "sql",
  call: () => Promise.reject(new Error("no database call expected")),
  close: async () => undefined,
} as unknown as RpcClient;

function engineFor(github: GitHubAuditSource, steps: { id: string; handler: () => unknown }[]) {
  const logger = createLogger({ level: "silent" });
  const inngest = createInngestClient({
    env: readEnv({ NODE_ENV: "test", INNGEST_DEV: "1" }),
    logger,
  });
  const fn = createAuditRun(inngest, { rpc: noDatabase, github, logger });
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

const resolved = {
  id: "resolve-auth",
  handler: () => ({ kind: "installation", installationId: 7, githubLogin: "octo" }),
};

describe("audit-run (unit)", () => {
  it("fails the collect-signals step when the GitHub side would hand a token back, without storing it", async () => {
    const leaky: GitHubAuditSource = {
      collectAuditSignals: async () => ({ ...SIGNALS, token: TOKEN }) as AuditSignals,
    };
    const { error, result } = await engineFor(leaky, [resolved]).execute();
    expect(result).toBeUndefined();
    expect(String((error as Error)?.message)).toMatch(/credential/i);
    expect(inspect(error, { depth: null })).not.toContain(TOKEN);
  });

  it("reports what the database recorded, and announces the completion it made", async () => {
    const github: GitHubAuditSource = { collectAuditSignals: async () => SIGNALS };
    // The row says xp 300 / level 1, whatever this run scored: the result follows the row.
    const row = { auditId: 11, status: "completed", reason: null, xp: 300, level: 1 };
    const engine = engineFor(github, [
      resolved,
      { id: "record-audit", handler: () => ({ ...row, announced: false, changed: true }) },
      { id: "emit-audit-completed", handler: () => ({ ids: ["x"] }) },
      { id: "mark-announced", handler: () => [{ audit_id: 11, announced_at: new Date() }] },
    ]);
    const { result, ctx } = await engine.execute();
    expect(result).toEqual(row);
    expect(ctx.step.run).toHaveBeenCalledWith("collect-signals", expect.any(Function));
    expect(ctx.step.sendEvent).toHaveBeenCalledWith(
      "emit-audit-completed",
      expect.objectContaining({
        id: "audit-completed-11",
        data: expect.objectContaining({ xp: 300, level: 1 }),
      }),
    );
  });

  it("does not announce a completion another run made (a racing rerun)", async () => {
    const github: GitHubAuditSource = { collectAuditSignals: async () => SIGNALS };
    const row = { auditId: 12, status: "completed", reason: null, xp: 300, level: 1 };
    const { result, ctx } = await engineFor(github, [
      resolved,
      { id: "record-audit", handler: () => ({ ...row, announced: false, changed: false }) },
    ]).execute();
    expect(result).toEqual(row);
    expect(ctx.step.sendEvent).not.toHaveBeenCalled();
  });

  it("ends skipped without calling GitHub when resolve-auth finds no installation", async () => {
    let called = false;
    const github: GitHubAuditSource = {
      collectAuditSignals: async () => ((called = true), SIGNALS),
    };
    const { result } = await engineFor(github, [
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
    expect(called).toBe(false);
  });
});
