import { run as evaluateCel } from "@bufbuild/cel";
import { http } from "msw";
import { describe, expect, it } from "vitest";
import {
  DatabaseUnavailableError,
  InvalidArgumentsError,
  RpcContractError,
  RpcError,
} from "../../src/db/rpc/errors.ts";
import type { RpcClient } from "../../src/db/rpc/rpc-client.ts";
import {
  AUDIT_COLLECT_INSTALLATION_KEY,
  AUDIT_INSTALLATION_LIMIT,
} from "../../src/inngest/functions/audit-run-flow.ts";
import { createInstallation, createUser } from "../support/fixtures.ts";
import { graphqlUrlFor } from "../support/github-msw.ts";
import type { StoredRun } from "../support/inngest-executor.ts";
import { GITHUB_URL, useAuditStack } from "./audit-stack.ts";

const stack = useAuditStack();
const { db } = stack;

type User = { id: string; login: string; githubId: number };

function auditEvent(user: User, id = `audit-run:${user.id}:rerun`) {
  return {
    name: "audit/run",
    id,
    data: { userId: user.id, githubLogin: user.login, githubId: user.githubId },
  };
}

async function rowOf(userId: string) {
  const rows = await db.sql<
    { id: number; status: string; reason: string | null; xp: number | null; level: number | null }[]
  >`select id, status, reason, xp, level, attempts, announced_at is not null as announced
      from public.audits where user_id = ${userId} order by id`;
  expect(rows).toHaveLength(1);
  return rows[0]!;
}

async function historyOf(auditId: number) {
  return db.sql<
    { from_status: string | null; to_status: string; to_reason: string | null; run_id: string }[]
  >`
    select from_status, to_status, to_reason, run_id from public.audit_transitions
     where audit_id = ${auditId} order by id`;
}

function completedEvents(s: ReturnType<typeof stack.arrange>) {
  return s.executor.stored.events.filter((e) => e.event.name === "audit/completed");
}

/**
 * An msw resolver that answers nothing (msw then asks the next handler, the fake GitHub)
 * once `parties` requests are waiting, or after a timeout, which overlapped() reports.
 */
function overlapBarrier(parties: number, timeoutMs = 10_000) {
  let waiting = 0;
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let overlapped = false;
  let timedOut = false;
  const timer = setTimeout(() => ((timedOut = true), release()), timeoutMs);
  return {
    async arrive(): Promise<undefined> {
      // Arrivals after the timeout were not held together: they do not count as overlapping.
      if (++waiting === parties && !timedOut) {
        overlapped = true;
        clearTimeout(timer);
        release();
      }
      await released;
      return undefined;
    },
    overlapped: () => overlapped,
  };
}

function collectRuns(s: ReturnType<typeof stack.arrange>) {
  return s.executor.stored.runs.filter((r) => r.functionId.endsWith("-audit-collect"));
}

/** Records, per GitHub GraphQL request, which runs were executing when it was made. */
function runsExecutingAtGitHubCalls(s: ReturnType<typeof stack.arrange>): string[][] {
  const seen: string[][] = [];
  stack.server.use(
    http.post(graphqlUrlFor(GITHUB_URL), () => {
      seen.push(
        s.executor.stored.runs.filter((r) => r.status === "running").map((r) => r.functionId),
      );
      return undefined; // answered by the fake GitHub
    }),
  );
  return seen;
}

/** The run result must be exactly what the row holds. */
function asRecorded(row: Awaited<ReturnType<typeof rowOf>>) {
  return { status: row.status, reason: row.reason, auditId: row.id, xp: row.xp, level: row.level };
}

describe("dashboard reruns finish what the first run could not", () => {
  it("a rerun over a skipped row completes that same row, updates the profile and announces once", async () => {
    const s = stack.arrange();
    const user = await createUser(db.sql);
    const [first] = await s.executor.send(auditEvent(user));
    const skipped = await rowOf(user.id);
    expect(skipped).toMatchObject({ status: "skipped", reason: "no_auth_source" });

    await createInstallation(db.sql, { accountId: user.githubId });
    const [rerun] = await s.executor.rerun(first!);

    const row = await rowOf(user.id);
    expect(row).toMatchObject({
      id: skipped.id,
      status: "completed",
      attempts: 2,
      announced: true,
    });
    expect(rerun).toMatchObject({ status: "completed", result: asRecorded(row) });
    const [profile] = await db.sql`select xp, level from public.profiles where id = ${user.id}`;
    expect(profile).toEqual({ xp: row.xp, level: row.level });
    expect(completedEvents(s).map((e) => e.event.data)).toEqual([
      { userId: user.id, auditId: row.id, xp: row.xp, level: row.level },
    ]);
    expect(await historyOf(row.id)).toEqual([
      {
        from_status: null,
        to_status: "skipped",
        to_reason: "no_auth_source",
        run_id: first!.runId,
      },
      { from_status: "skipped", to_status: "completed", to_reason: null, run_id: rerun!.runId },
    ]);
  });

  it("a rerun over a failed row (retries exhausted) completes it once GitHub answers again", async () => {
    const s = stack.arrange();
    const user = await createUser(db.sql);
    await createInstallation(db.sql, { accountId: user.githubId });
    s.fake.state.graphqlModes.set(user.login, "5xx");
    const [first] = await s.executor.send(auditEvent(user));
    expect(first!.status).toBe("failed");
    const failed = await rowOf(user.id);
    expect(failed).toMatchObject({ status: "failed", reason: "retries_exhausted" });

    s.fake.state.graphqlModes.delete(user.login);
    const [rerun] = await s.executor.rerun(first!);
    const row = await rowOf(user.id);
    expect(row).toMatchObject({ id: failed.id, status: "completed", announced: true });
    expect(rerun).toMatchObject({ status: "completed", result: asRecorded(row) });
    expect(completedEvents(s)).toHaveLength(1);
    expect((await historyOf(row.id)).map((h) => h.to_status)).toEqual(["failed", "completed"]);
  });

  it("a rerun over a completed row changes nothing, calls nothing and returns what is recorded", async () => {
    const s = stack.arrange();
    const user = await createUser(db.sql);
    await createInstallation(db.sql, { accountId: user.githubId });
    const [first] = await s.executor.send(auditEvent(user));
    const before = await rowOf(user.id);
    const requests = { ...s.fake.state.requests };

    const [rerun] = await s.executor.rerun(first!);
    expect(rerun).toMatchObject({ status: "completed", result: asRecorded(before) });
    expect(rerun!.steps.map((step) => step.id)).toEqual(["resolve-auth"]);
    expect(s.fake.state.requests).toEqual(requests);
    expect(collectRuns(s)).toHaveLength(1); // the first run's only
    expect(await rowOf(user.id)).toEqual(before);
    expect(await historyOf(before.id)).toHaveLength(1);
    expect(completedEvents(s)).toHaveLength(1);
  });

  it("two reruns racing over a skipped row leave one completed row and one audit/completed", async () => {
    const s = stack.arrange();
    const user = await createUser(db.sql);
    const [first] = await s.executor.send(auditEvent(user));
    await createInstallation(db.sql, { accountId: user.githubId });
    // Hold each rerun's GitHub query until both have sent one: neither can record before the
    // other has planned its audit and queried GitHub, so they really overlap.
    const barrier = overlapBarrier(2);
    stack.server.use(http.post(graphqlUrlFor(GITHUB_URL), () => barrier.arrive()));

    const reruns = (await s.executor.rerun(first!, { together: 2 })).slice(0, 2);
    expect(barrier.overlapped()).toBe(true);
    expect(s.fake.state.requests.graphql).toBe(2);
    for (const run of reruns) expect(run.steps.map((step) => step.id)).toContain("record-audit");

    const row = await rowOf(user.id);
    expect(row).toMatchObject({ status: "completed", attempts: 2, announced: true });
    for (const run of reruns) {
      expect(run).toMatchObject({ status: "completed", result: asRecorded(row) });
    }
    // Only the run whose record changed the row announces it.
    expect(completedEvents(s).map((e) => e.event.id)).toEqual([`audit-completed-${row.id}`]);
    expect((await historyOf(row.id)).map((h) => h.to_status)).toEqual(["skipped", "completed"]);
  });

  it("a rerun announces a completion whose audit/completed never went out", async () => {
    const s = stack.arrange();
    const user = await createUser(db.sql);
    await createInstallation(db.sql, { accountId: user.githubId });
    const [first] = await s.executor.send(auditEvent(user));
    const row = await rowOf(user.id);
    // As if the event API had been down until the run gave up after recording.
    await db.sql`update public.audits set announced_at = null where id = ${row.id}`;

    const [rerun] = await s.executor.rerun(first!);
    expect(rerun!.steps.map((step) => step.id)).toEqual([
      "resolve-auth",
      "emit-audit-completed",
      "mark-announced",
    ]);
    expect(await rowOf(user.id)).toMatchObject({ announced: true });
    // The same event id both times: Inngest keeps one.
    expect(new Set(completedEvents(s).map((e) => e.event.id))).toEqual(
      new Set([`audit-completed-${row.id}`]),
    );
  });
});

describe("GitHub calls count against the installation actually used", () => {
  it.each(["run", "rerun"] as const)(
    "an audit/run naming no installation, whose user gains one before the %s, calls GitHub in an audit-collect run keyed on it",
    async (when) => {
      const s = stack.arrange();
      const user = await createUser(db.sql);
      const event = auditEvent(user);
      expect(event.data).not.toHaveProperty("installationId");
      const github = runsExecutingAtGitHubCalls(s);
      let first: StoredRun | undefined;
      if (when === "rerun") {
        [first] = await s.executor.send(event);
        expect(await rowOf(user.id)).toMatchObject({ status: "skipped", reason: "no_auth_source" });
        expect(collectRuns(s)).toEqual([]);
      }
      const installationId = await createInstallation(db.sql, { accountId: user.githubId });
      const [parent] = first ? await s.executor.rerun(first) : await s.executor.send(event);

      const [collect, ...others] = collectRuns(s);
      expect(others).toEqual([]);
      expect(collect).toMatchObject({
        status: "completed",
        event: {
          name: "inngest/function.invoked",
          data: { installationId, login: user.login, _inngest: { source_run_id: parent!.runId } },
        },
      });
      // The per-installation limit (4) is keyed on that invocation event: it names the installation.
      expect(AUDIT_INSTALLATION_LIMIT).toBe(4);
      expect(evaluateCel(AUDIT_COLLECT_INSTALLATION_KEY, { event: collect!.event } as never)).toBe(
        installationId,
      );
      // Every GitHub call was made while only that audit-collect run was executing.
      expect(github.length).toBeGreaterThan(0);
      expect(github.every((runs) => runs.join() === collect!.functionId)).toBe(true);
      expect(parent!.steps.find((st) => st.id === "collect-signals")).toMatchObject({
        op: "InvokeFunction",
        data: { ok: true },
      });

      const row = await rowOf(user.id);
      expect(row).toMatchObject({ status: "completed", announced: true });
      expect(parent).toMatchObject({ status: "completed", result: asRecorded(row) });
      expect(completedEvents(s)).toHaveLength(1);
      for (const secret of s.secrets())
        expect(s.executor.storedText().includes(secret)).toBe(false);
    },
  );
});

describe("flow control and permanent errors", () => {
  it("runs one audit per user at a time: a second event while one is unfinished is skipped", async () => {
    const s = stack.arrange();
    const user = await createUser(db.sql);
    await createInstallation(db.sql, { accountId: user.githubId });
    await s.executor.send([auditEvent(user, "first"), auditEvent(user, "second")]);
    expect(s.executor.stored.skipped).toEqual([
      expect.objectContaining({
        reason: "singleton",
        eventId: "second",
        key: JSON.stringify(user.id),
      }),
    ]);
    expect(s.fake.state.requests.graphql).toBe(1);
  });

  it.each([
    ["an RPC argument error", InvalidArgumentsError, "22023"],
    ["an RPC contract error", RpcContractError, "contract"],
  ])("ends the run at once on %s, and the failure handler records it", async (_, Err, code) => {
    let failNext = true;
    const wrapRpc = (rpc: RpcClient): RpcClient => ({
      ...rpc,
      call(name, args) {
        if (name === "record_audit" && failNext) {
          failNext = false;
          return Promise.reject(new Err(name, code, "the call broke its contract"));
        }
        return rpc.call(name, args);
      },
    });
    const s = stack.arrange({ wrapRpc });
    const user = await createUser(db.sql);
    const [run] = await s.executor.send(auditEvent(user));
    expect(run).toMatchObject({ status: "failed", error: { name: "NonRetriableError" } });
    // Attempt numbers count retries: none happened.
    expect(run!.attempts.map((a) => a.attempt)).toEqual(run!.attempts.map(() => 0));
    const failure = s.executor.stored.runs.find((r) => r.functionId.endsWith("-failure"));
    expect(failure?.status).toBe("completed");
    expect(await rowOf(user.id)).toMatchObject({ status: "failed", reason: "permanent_error" });
  });

  it.each([
    ["an unknown RPC error", RpcError, "XX000"],
    ["an unavailable database", DatabaseUnavailableError, "57P03"],
  ])("keeps %s retriable", async (_, Err, code) => {
    let failures = 2;
    const wrapRpc = (rpc: RpcClient): RpcClient => ({
      ...rpc,
      call(name, args) {
        if (name === "record_audit" && failures-- > 0) {
          return Promise.reject(new Err(name, code, `failed with SQLSTATE ${code}`));
        }
        return rpc.call(name, args);
      },
    });
    const s = stack.arrange({ wrapRpc });
    const user = await createUser(db.sql);
    const [run] = await s.executor.send(auditEvent(user));
    expect(run!.status).toBe("completed");
    expect(run!.attempts.filter((a) => a.attempt > 0)).toHaveLength(2);
    expect(await rowOf(user.id)).toMatchObject({ status: "skipped", reason: "no_auth_source" });
  });
});
