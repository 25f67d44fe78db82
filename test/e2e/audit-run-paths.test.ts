import { http, HttpResponse } from "msw";
import { describe, expect, it } from "vitest";
import { auditRun } from "../../src/inngest/events.ts";
import { createInstallation, createUser } from "../support/fixtures.ts";
import { graphqlUrlFor } from "../support/github-msw.ts";
import { GITHUB_URL, useAuditStack } from "./audit-stack.ts";

const stack = useAuditStack();
const { db } = stack;

function auditEvent(
  user: { id: string; login: string; githubId: number },
  installationId?: number,
  id = `audit-run:${user.id}:test`,
) {
  return {
    name: "audit/run",
    id,
    data: {
      userId: user.id,
      githubLogin: user.login,
      githubId: user.githubId,
      ...(installationId ? { installationId } : {}),
    },
  };
}

async function auditsOf(userId: string) {
  return db.sql`select status, reason, installation_id, idempotency_key from public.audits where user_id = ${userId} order by id`;
}

describe("audit-run resolves auth at run time", () => {
  it("uses the installationId in the event when it is the user's", async () => {
    const s = stack.arrange();
    const user = await createUser(db.sql);
    await createInstallation(db.sql, { accountId: user.githubId });
    const org = await createInstallation(db.sql, {
      accountId: 77_000_001,
      accountType: "Organization",
      installedBy: user.githubId,
    });
    const [run] = await s.executor.send(auditEvent(user, org));
    expect(run!.status).toBe("completed");
    expect(await auditsOf(user.id)).toMatchObject([{ status: "completed", installation_id: org }]);
    expect([...s.fake.state.mints.keys()]).toEqual([org]);
  });

  it("falls back to the database when the event has no installationId", async () => {
    const s = stack.arrange();
    const user = await createUser(db.sql);
    const own = await createInstallation(db.sql, { accountId: user.githubId });
    const [run] = await s.executor.send(auditEvent(user));
    expect(run!.status).toBe("completed");
    expect(await auditsOf(user.id)).toMatchObject([{ status: "completed", installation_id: own }]);
  });

  it("uses no installation but the one the event names: one that is not the user's ends skipped", async () => {
    const s = stack.arrange();
    const user = await createUser(db.sql);
    await createInstallation(db.sql, { accountId: user.githubId });
    const foreign = await createInstallation(db.sql, { accountId: 77_000_002 });
    const [run] = await s.executor.send(auditEvent(user, foreign));
    // The run's concurrency key names `foreign`: spending another installation's budget under it is refused.
    expect(run!.result).toMatchObject({ status: "skipped", reason: "installation_unavailable" });
    expect(await auditsOf(user.id)).toMatchObject([
      { status: "skipped", reason: "installation_unavailable", installation_id: foreign },
    ]);
    expect(s.fake.state.requests.mint + s.fake.state.requests.graphql).toBe(0);
  });

  it("records a skipped audit with reason no_auth_source when there is no installation", async () => {
    const s = stack.arrange();
    const user = await createUser(db.sql);
    const [run] = await s.executor.send(auditEvent(user));
    expect(run!.result).toEqual({
      status: "skipped",
      reason: "no_auth_source",
      auditId: expect.any(Number),
      xp: null,
      level: null,
    });
    expect(await auditsOf(user.id)).toMatchObject([
      { status: "skipped", reason: "no_auth_source", installation_id: null },
    ]);
    expect(s.fake.state.requests.mint + s.fake.state.requests.graphql).toBe(0);
  });

  it("does nothing for an already-audited user", async () => {
    const s = stack.arrange();
    const user = await createUser(db.sql);
    await createInstallation(db.sql, { accountId: user.githubId });
    const [first] = await s.executor.send(auditEvent(user, undefined, "first"));
    const [again] = await s.executor.send(auditEvent(user, undefined, "second"));
    expect(again!.result).toEqual({
      status: "skipped",
      reason: "already_audited",
      auditId: (first!.result as { auditId: number }).auditId,
    });
    expect(await auditsOf(user.id)).toHaveLength(1);
    expect(s.fake.state.requests.graphql).toBe(1);
  });

  it("records skipped / github_app_not_configured when the service has no GitHub App", async () => {
    const s = stack.arrange({ github: false });
    const user = await createUser(db.sql);
    await createInstallation(db.sql, { accountId: user.githubId });
    const [run] = await s.executor.send(auditEvent(user));
    expect(run!.result).toMatchObject({ status: "skipped", reason: "github_app_not_configured" });
    expect(await auditsOf(user.id)).toMatchObject([
      { status: "skipped", reason: "github_app_not_configured" },
    ]);
  });
});

describe("retries and replays", () => {
  it("a replay of the same event (another process) mints its own token and leaves one audit and one audit/completed", async () => {
    const user = await createUser(db.sql);
    await createInstallation(db.sql, { accountId: user.githubId });
    const first = stack.arrange();
    await first.executor.send(auditEvent(user));
    const replay = stack.arrange();
    const [run] = await replay.executor.send(auditEvent(user));
    expect(run!.status).toBe("completed");
    expect(await auditsOf(user.id)).toHaveLength(1);
    const completed = [first, replay].flatMap((s) =>
      s.executor.stored.events.filter((e) => e.event.name === "audit/completed"),
    );
    expect(completed).toHaveLength(1);
    // Each process minted at run time; nothing carried a token from one run to the other.
    expect(first.fake.state.issuedTokens).toHaveLength(1);
    for (const secret of first.secrets())
      expect(replay.executor.storedText().includes(secret)).toBe(false);
  });

  it("a step that fails once (GitHub 502) is retried and yields one audit row and one audit/completed", async () => {
    const s = stack.arrange();
    const user = await createUser(db.sql);
    await createInstallation(db.sql, { accountId: user.githubId });
    // The first GraphQL answer is a 502; msw's `once` handler takes precedence, then the fake answers.
    stack.server.use(
      http.post(graphqlUrlFor(GITHUB_URL), () => new HttpResponse("bad gateway", { status: 502 }), {
        once: true,
      }),
    );
    const runs = await s.executor.send(auditEvent(user));
    const run = runs.find((r) => r.functionId.endsWith("-audit-run"));
    const collect = runs.filter((r) => r.functionId.endsWith("-audit-collect"));
    expect(run).toMatchObject({ status: "completed" });
    expect(run!.steps.find((st) => st.id === "collect-signals")).toMatchObject({
      op: "InvokeFunction",
      data: { ok: true },
    });
    // The retry happens in the one audit-collect run; audit-run neither retries nor re-invokes.
    expect(collect).toHaveLength(1);
    expect(collect[0]!.attempts.filter((a) => a.attempt === 1)).toHaveLength(1);
    expect(run!.attempts.filter((a) => a.attempt > 0)).toHaveLength(0);
    expect(s.fake.state.requests.graphql).toBe(1);
    expect(await auditsOf(user.id)).toHaveLength(1);
    expect(s.executor.stored.events.filter((e) => e.event.name === "audit/completed")).toHaveLength(
      1,
    );
    for (const secret of s.secrets()) expect(s.executor.storedText().includes(secret)).toBe(false);
  });
});

describe("permanent and rate-limit failures", () => {
  it.each([
    ["gone", "deleted", "installation_deleted"],
    ["suspended", "suspended", "installation_suspended"],
  ] as const)(
    "a %s installation is marked %s and the run ends with the failed audit it recorded, without retrying",
    async (mode, status, reason) => {
      const s = stack.arrange();
      const user = await createUser(db.sql);
      const installationId = await createInstallation(db.sql, { accountId: user.githubId });
      s.fake.state.installationModes.set(installationId, mode);
      const [run] = await s.executor.send(auditEvent(user));
      // A domain outcome, not a fault: one attempt, and the result is the recorded row.
      expect(run!.status).toBe("completed");
      expect(run!.result).toMatchObject({ status: "failed", reason, auditId: expect.any(Number) });
      expect(run!.attempts.filter((a) => a.status >= 500)).toHaveLength(0);
      const [row] =
        await db.sql`select status, updated_by from public.github_installations where id = ${installationId}`;
      expect(row).toEqual({ status, updated_by: "system:audit-run" });
      expect(await auditsOf(user.id)).toMatchObject([{ status: "failed", reason }]);
    },
  );

  it("a GitHub refusal ends audit-collect after one attempt (NonRetriableError): audit-run does not retry or re-invoke and records permanent_error", async () => {
    const s = stack.arrange();
    const user = await createUser(db.sql);
    await createInstallation(db.sql, { accountId: user.githubId });
    // No rate-limit headers: a permission refusal, which the same request would get again.
    let refusals = 0;
    stack.server.use(
      http.post(graphqlUrlFor(GITHUB_URL), () => {
        refusals++;
        return HttpResponse.json(
          { message: "Resource not accessible by integration" },
          { status: 403 },
        );
      }),
    );
    const runs = await s.executor.send(auditEvent(user));
    const run = runs.find((r) => r.functionId.endsWith("-audit-run"));
    const collect = runs.filter((r) => r.functionId.endsWith("-audit-collect"));

    expect(collect).toHaveLength(1);
    expect(collect[0]).toMatchObject({ status: "failed", error: { name: "NonRetriableError" } });
    // Attempt 0 only: the step fails at once (StepFailed, not a retriable StepError), then the run.
    expect(collect[0]!.attempts.map((a) => [a.attempt, a.status, a.ops])).toEqual([
      [0, 206, ["StepFailed"]],
      [0, 400, undefined],
    ]);
    expect(refusals).toBe(1);
    expect(run).toMatchObject({ status: "failed" });
    expect(run!.attempts.filter((a) => a.attempt > 0)).toHaveLength(0);
    // One invocation, bounded explicitly: the SDK sends the timeout as the op's option.
    const invokes = run!.steps.filter((st) => st.op === "InvokeFunction");
    expect(invokes).toMatchObject([
      {
        id: "collect-signals",
        error: { name: "NonRetriableError" },
        opts: { function_id: expect.stringMatching(/-audit-collect$/), timeout: "2h" },
      },
    ]);
    expect(await auditsOf(user.id)).toMatchObject([
      { status: "failed", reason: "permanent_error" },
    ]);
    expect(s.executor.stored.events.filter((e) => e.event.name === "audit/completed")).toEqual([]);
    for (const secret of s.secrets()) expect(s.executor.storedText().includes(secret)).toBe(false);
  });

  it("a rate-limited GitHub answer retries at the reset time, and exhausted retries are recorded", async () => {
    const s = stack.arrange();
    const user = await createUser(db.sql);
    await createInstallation(db.sql, { accountId: user.githubId });
    s.fake.state.graphqlModes.set(user.login, "rate-limited");
    const runs = await s.executor.send(auditEvent(user));
    const run = runs.find((r) => r.functionId.endsWith("-audit-run"));
    const collect = runs.filter((r) => r.functionId.endsWith("-audit-collect"));
    // The rate limit is retried inside the one audit-collect run; audit-run does not re-invoke it.
    expect(collect).toHaveLength(1);
    expect(collect[0]).toMatchObject({ status: "failed" });
    expect(run!.attempts.filter((a) => a.attempt > 0)).toHaveLength(0);
    const retries = collect[0]!.attempts.filter((a) => a.retryAfter !== undefined);
    expect(retries.length).toBeGreaterThan(0);
    expect(new Date(retries[0]!.retryAfter!).getTime()).toBe(
      s.fake.state.rateLimitResetEpoch * 1000,
    );
    expect(run!.status).toBe("failed");
    expect(await auditsOf(user.id)).toMatchObject([
      { status: "failed", reason: "retries_exhausted" },
    ]);
  });
});

describe("refusals", () => {
  it("refuses an audit/run carrying an accessToken at send, before anything leaves the process", async () => {
    const s = stack.arrange();
    const user = await createUser(db.sql);
    const token = `gho_${"x".repeat(36)}`;
    const event = auditEvent(user);
    const failure = await s.application.inngest
      .send({ ...event, data: { ...event.data, accessToken: token } })
      .catch((e: Error) => e);
    expect(failure).toBeInstanceOf(Error);
    expect(String((failure as Error).message)).toMatch(/accessToken/);
    expect(String((failure as Error).message)).not.toContain(token);
    // The typed path refuses the unknown key too (strict schema).
    const typed = auditRun.create({ ...event.data, accessToken: "anything" } as never, {
      id: "typed",
    });
    await expect(s.application.inngest.send(typed)).rejects.toThrow();
    expect(s.executor.stored.events).toEqual([]);
  });

  it("a malformed audit/run reaching the function is refused without retry and writes nothing", async () => {
    const s = stack.arrange();
    const user = await createUser(db.sql);
    await createInstallation(db.sql, { accountId: user.githubId });
    const event = auditEvent(user);
    const [run] = await s.executor.send({
      ...event,
      data: { ...event.data, githubLogin: 42, extra: "x" },
    });
    expect(run!.status).toBe("failed");
    expect(run!.attempts).toHaveLength(1);
    expect(run!.attempts[0]!.status).toBe(400);
    expect(await auditsOf(user.id)).toEqual([]);
  });
});
