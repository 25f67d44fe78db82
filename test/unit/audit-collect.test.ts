import { randomBytes } from "node:crypto";
import { InngestTestEngine } from "@inngest/test";
import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import type { AuditSignals } from "../../src/audit/audit-signals.ts";
import { readEnv } from "../../src/config/env.ts";
import type { GitHubAuditSource } from "../../src/github/github-app.ts";
import {
  GitHubRequestError,
  InstallationUnavailableError,
} from "../../src/github/github-errors.ts";
import { createInngestClient } from "../../src/inngest/client.ts";
import { createAuditCollect } from "../../src/inngest/functions/audit-collect.ts";
import { createLogger } from "../../src/log/logger.ts";
import { AUDIT_SIGNALS as SIGNALS } from "../support/fixtures.ts";

const TOKEN = `ghs_${randomBytes(18).toString("hex")}`;

function engineFor(github: GitHubAuditSource | null) {
  const logger = createLogger({ level: "silent" });
  const inngest = createInngestClient({
    env: readEnv({ NODE_ENV: "test", INNGEST_DEV: "1" }),
    logger,
  });
  // A new engine per test: @inngest/test caches step results inside an engine.
  return new InngestTestEngine({
    function: createAuditCollect(inngest, { github }),
    events: [{ name: "inngest/function.invoked", data: { installationId: 7, login: "octo" } }],
  });
}

describe("audit-collect (unit)", () => {
  it("collects for the installation and login it was invoked with", async () => {
    const calls: unknown[] = [];
    const github: GitHubAuditSource = {
      collectAuditSignals: async (args) => (calls.push(args), SIGNALS),
    };
    const { result } = await engineFor(github).execute();
    expect(result).toEqual({ ok: true, signals: SIGNALS });
    expect(calls).toEqual([{ installationId: 7, login: "octo" }]);
  });

  it("returns a refused mint as a domain outcome, not an error", async () => {
    const github: GitHubAuditSource = {
      collectAuditSignals: () => Promise.reject(new InstallationUnavailableError(7, 404)),
    };
    const { result } = await engineFor(github).execute();
    expect(result).toEqual({ ok: false, reason: "installation_deleted" });
  });

  it("fails the collect-signals step when the GitHub side would hand a token back, without storing it", async () => {
    const leaky: GitHubAuditSource = {
      collectAuditSignals: async () => ({ ...SIGNALS, token: TOKEN }) as AuditSignals,
    };
    const { error, result } = await engineFor(leaky).execute();
    expect(result).toBeUndefined();
    expect(String((error as Error)?.message)).toMatch(/credential/i);
    expect(inspect(error, { depth: null })).not.toContain(TOKEN);
  });

  it.each([
    ["an HTTP 403 refusal", "NonRetriableError", new GitHubRequestError(403)],
    [
      "a typed GraphQL error (FORBIDDEN)",
      "NonRetriableError",
      new GitHubRequestError(200, ["FORBIDDEN"]),
    ],
    [
      "an untyped GraphQL error (GitHub's timeout)",
      "GitHubRequestError",
      new GitHubRequestError(200, ["UNTYPED"]),
    ],
    [
      "a GraphQL SERVICE_UNAVAILABLE",
      "GitHubRequestError",
      new GitHubRequestError(200, ["SERVICE_UNAVAILABLE"]),
    ],
  ])("ends on %s with %s (only GitHub's own trouble is retried)", async (_, name, thrown) => {
    const github: GitHubAuditSource = { collectAuditSignals: () => Promise.reject(thrown) };
    const { error } = await engineFor(github).execute();
    expect(error).toMatchObject({ name });
  });

  it("refuses to run without a GitHub App, permanently", async () => {
    const { error } = await engineFor(null).execute();
    expect(error).toMatchObject({ name: "NonRetriableError" });
  });
});
