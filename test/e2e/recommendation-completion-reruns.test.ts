import { http, HttpResponse } from "msw";
import { describe, expect, it } from "vitest";
import {
  arrangeCompletion,
  completionRows,
  ISSUE_REPO,
  recommendationRow,
} from "../support/completion-fixtures.ts";
import { pullKey, type FakePullAnswer } from "../support/github-msw-pulls.ts";
import { INNGEST_URL, useAuditStack } from "./audit-stack.ts";

const stack = useAuditStack();
const { db } = stack;

type Stack = ReturnType<typeof stack.arrange>;
type Arranged = Awaited<ReturnType<typeof arrangeCompletion>>;
const PR_URL = "https://github.com/octo/demo/pull/11";

async function claimed(s: Stack, a: Arranged) {
  const token = await s.userToken(a.user);
  expect(
    (await s.action("claim-recommendation", token, { recommendationId: a.recId })).status,
  ).toBe(200);
  return token;
}

function setPull(s: Stack, a: Arranged, answer: FakePullAnswer | { body: string }) {
  s.fake.state.repositoryIds.set(ISSUE_REPO, a.repositoryId);
  s.fake.state.pulls.set(
    pullKey("octo", "demo", 11),
    typeof answer === "string"
      ? answer
      : {
          title: "Fix the thing",
          author: { login: a.user.login, id: a.user.githubId },
          ...answer,
        },
  );
}

const verifyRuns = <R extends { functionId: string }>(runs: R[]) =>
  runs.filter((r) => r.functionId.endsWith("-verify-completion"));
const requested = (s: Stack) =>
  s.executor.stored.events.filter((e) => e.event.name === "recommendation/completion.requested");

describe("completion verification under reruns, retries and outages", () => {
  it("a rerun of a refused verification, after the PR is fixed, completes the recommendation once", async () => {
    const s = stack.arrange();
    const a = await arrangeCompletion(db.sql);
    const token = await claimed(s, a);
    setPull(s, a, { body: "Work in progress" });
    await s.action("complete-recommendation", token, {
      recommendationId: a.recId,
      pullRequestUrl: PR_URL,
    });
    const [first] = verifyRuns(await s.executor.drain());
    expect(first).toMatchObject({ result: { status: "refused", reason: "no_reference" } });

    setPull(s, a, { body: `Fixes ${a.issueUrl}` });
    const [rerun] = verifyRuns(await s.executor.rerun(first!));
    expect(rerun).toMatchObject({
      status: "completed",
      result: { status: "accepted", changed: true },
    });
    const [completedAt] = await db.sql`
      select completed_at from public.recommendations where id = ${a.recId}`;

    // Once: another rerun reads the accepted verdict and asks GitHub nothing more.
    const pullsBefore = s.fake.state.requests["rest-pulls"];
    const [again] = verifyRuns(await s.executor.rerun(first!));
    expect(again).toMatchObject({ result: { status: "accepted", changed: false } });
    expect(s.fake.state.requests["rest-pulls"]).toBe(pullsBefore);
    expect(
      (await db.sql`select completed_at from public.recommendations where id = ${a.recId}`)[0],
    ).toEqual(completedAt);
    expect(await completionRows(db.sql, a.recId)).toMatchObject([
      { status: "accepted", reason: null, requests: 1 },
    ]);
    expect(await recommendationRow(db.sql, a.recId)).toMatchObject({ status: "completed" });
  });

  it("asking again after a refusal verifies anew under a new event id; a retry after acceptance sends nothing", async () => {
    const s = stack.arrange();
    const a = await arrangeCompletion(db.sql);
    const token = await claimed(s, a);
    const body = { recommendationId: a.recId, pullRequestUrl: PR_URL };
    setPull(s, a, { body: "nothing here" });
    await s.action("complete-recommendation", token, body);
    await s.executor.drain();
    expect(await completionRows(db.sql, a.recId)).toMatchObject([{ status: "refused" }]);

    setPull(s, a, { body: `closes #${a.issueNumber}` });
    expect((await s.action("complete-recommendation", token, body)).status).toBe(202);
    const [run] = verifyRuns(await s.executor.drain());
    expect(run).toMatchObject({ result: { status: "accepted" } });
    const [row] = await completionRows(db.sql, a.recId);
    expect(row).toMatchObject({ status: "accepted", requests: 2 });
    expect(requested(s).map((e) => e.event.id)).toEqual([
      `completion-requested:${row!.id}:1`,
      `completion-requested:${row!.id}:2`,
    ]);

    const retry = await s.action("complete-recommendation", token, body);
    expect(retry.status).toBe(202);
    expect(await retry.json()).toEqual({
      data: { recommendationId: a.recId, status: "completed" },
    });
    expect(requested(s)).toHaveLength(2);
    // Another PR for a completed recommendation: it is no longer claimed.
    const other = await s.action("complete-recommendation", token, {
      ...body,
      pullRequestUrl: "https://github.com/octo/demo/pull/12",
    });
    expect(other.status).toBe(409);
  });

  it("a verification that exhausted its retries can be asked again once it is an hour old", async () => {
    const s = stack.arrange();
    const a = await arrangeCompletion(db.sql);
    const token = await claimed(s, a);
    const body = { recommendationId: a.recId, pullRequestUrl: PR_URL };
    setPull(s, a, "5xx");
    await s.action("complete-recommendation", token, body);
    const [failed] = verifyRuns(await s.executor.drain());
    expect(failed).toMatchObject({ status: "failed" });
    const [row] = await completionRows(db.sql, a.recId);
    expect(row).toMatchObject({ status: "verifying", requests: 1 });

    // Within the hour, asking again re-sends request 1's id: Inngest drops it.
    setPull(s, a, { body: `closes #${a.issueNumber}` });
    expect((await s.action("complete-recommendation", token, body)).status).toBe(202);
    expect(verifyRuns(await s.executor.drain())).toEqual([]);

    await db.sql`update public.recommendation_completions
                    set updated_at = updated_at - interval '61 minutes' where id = ${row!.id}`;
    expect((await s.action("complete-recommendation", token, body)).status).toBe(202);
    const [run] = verifyRuns(await s.executor.drain());
    expect(run).toMatchObject({ status: "completed", result: { status: "accepted" } });
    expect(requested(s).map((e) => e.event.id)).toEqual([
      `completion-requested:${row!.id}:1`,
      `completion-requested:${row!.id}:1`,
      `completion-requested:${row!.id}:2`,
    ]);
    expect(await recommendationRow(db.sql, a.recId)).toMatchObject({ status: "completed" });
  });

  it("retries GitHub 5xx answers and accepts once GitHub recovers", async () => {
    const s = stack.arrange();
    const a = await arrangeCompletion(db.sql);
    const token = await claimed(s, a);
    setPull(s, a, "5xx");
    let calls = 0;
    stack.server.use(
      http.get(`*/repos/octo/demo/pulls/11`, () => {
        calls += 1;
        if (calls === 2) setPull(s, a, { body: `#${a.issueNumber}` });
        return undefined;
      }),
    );
    await s.action("complete-recommendation", token, {
      recommendationId: a.recId,
      pullRequestUrl: PR_URL,
    });
    const [run] = verifyRuns(await s.executor.drain());
    expect(run).toMatchObject({ status: "completed", result: { status: "accepted" } });
    expect(s.fake.state.requests["rest-pulls"]).toBeGreaterThanOrEqual(2);
    expect(await recommendationRow(db.sql, a.recId)).toMatchObject({ status: "completed" });
  });

  it("a rate-limited answer retries at GitHub's reset time and records no verdict", async () => {
    const s = stack.arrange();
    const a = await arrangeCompletion(db.sql);
    const token = await claimed(s, a);
    setPull(s, a, "rate-limited");
    await s.action("complete-recommendation", token, {
      recommendationId: a.recId,
      pullRequestUrl: PR_URL,
    });
    const [run] = verifyRuns(await s.executor.drain());
    const retries = run!.attempts.filter((x) => x.retryAfter !== undefined);
    expect(retries.length).toBeGreaterThan(0);
    expect(new Date(retries[0]!.retryAfter!).getTime()).toBe(
      s.fake.state.rateLimitResetEpoch * 1000,
    );
    expect(await completionRows(db.sql, a.recId)).toMatchObject([{ status: "verifying" }]);
    expect(await recommendationRow(db.sql, a.recId)).toMatchObject({ status: "claimed" });
  });

  it("answers 503 when Inngest is unreachable; the row stays and a retry re-sends the same event id", async () => {
    const s = stack.arrange();
    const a = await arrangeCompletion(db.sql);
    const token = await claimed(s, a);
    setPull(s, a, { body: `#${a.issueNumber}` });
    const body = { recommendationId: a.recId, pullRequestUrl: PR_URL };
    stack.server.use(http.post(`${INNGEST_URL}/e/:key`, () => HttpResponse.error()));
    const down = await s.action("complete-recommendation", token, body);
    expect(down.status).toBe(503);
    expect(await down.json()).toMatchObject({ error: "verification_not_queued" });
    const [row] = await completionRows(db.sql, a.recId);
    expect(row).toMatchObject({ status: "verifying", requests: 1 });

    stack.server.resetHandlers();
    stack.server.use(...s.handlers);
    expect((await s.action("complete-recommendation", token, body)).status).toBe(202);
    expect((await s.action("complete-recommendation", token, body)).status).toBe(202);
    const runs = verifyRuns(await s.executor.drain());
    expect(runs).toHaveLength(1);
    // Both retries reach the Event API with one id; Inngest runs the first and drops the second.
    expect(requested(s).map((e) => e.event.id)).toEqual([
      `completion-requested:${row!.id}:1`,
      `completion-requested:${row!.id}:1`,
    ]);
    expect(s.executor.stored.skipped).toMatchObject([{ reason: "duplicate-event-id" }]);
    expect(await recommendationRow(db.sql, a.recId)).toMatchObject({ status: "completed" });
  });
});
