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

  it("scores the collected signals and records them with the audit-run actor", async () => {
    const github: GitHubAuditSource = { collectAuditSignals: async () => SIGNALS };
    const engine = engineFor(github, [
      resolved,
      { id: "record-audit", handler: () => ({ audit_id: 11, created: true }) },
      { id: "emit-audit-completed", handler: () => ({ ids: ["x"] }) },
    ]);
    const { result, ctx } = await engine.execute();
    expect(result).toEqual({
      status: "completed",
      auditId: 11,
      level: expect.any(Number),
      xp: expect.any(Number),
    });
    expect(ctx.step.run).toHaveBeenCalledWith("collect-signals", expect.any(Function));
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
      { id: "record-skipped-audit", handler: () => [{ audit_id: 3, created: true }] },
    ]).execute();
    expect(result).toEqual({ status: "skipped", reason: "no_auth_source" });
    expect(called).toBe(false);
  });
});
