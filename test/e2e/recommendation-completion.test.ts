import { describe, expect, it } from "vitest";
import {
  arrangeCompletion,
  completionRows,
  ISSUE_REPO,
  recommendationRow,
} from "../support/completion-fixtures.ts";
import { createRecommendations, createUser } from "../support/fixtures.ts";
import { pullKey } from "../support/github-msw-pulls.ts";
import { useAuditStack } from "./audit-stack.ts";

const stack = useAuditStack();
const { db } = stack;

type Arranged = Awaited<ReturnType<typeof arrangeCompletion>>;

async function claimed(s: ReturnType<typeof stack.arrange>, a: Arranged) {
  const token = await s.userToken(a.user);
  const res = await s.action("claim-recommendation", token, { recommendationId: a.recId });
  expect(res.status).toBe(200);
  return token;
}

function pull(s: ReturnType<typeof stack.arrange>, a: Arranged, n: number, over = {}) {
  s.fake.state.repositoryIds.set(ISSUE_REPO, a.repositoryId);
  s.fake.state.pulls.set(pullKey("octo", "demo", n), {
    title: "Fix the thing",
    body: `Closes #${a.issueNumber}`,
    author: { login: a.user.login, id: a.user.githubId },
    ...over,
  });
}

const verifyRuns = <R extends { functionId: string }>(runs: R[]) =>
  runs.filter((r) => r.functionId.endsWith("-verify-completion"));

describe("complete-recommendation, verified at run time", () => {
  it("records the PR, verifies it with a run-time token, completes the recommendation, and stores no credential", async () => {
    const s = stack.arrange();
    const a = await arrangeCompletion(db.sql);
    const token = await claimed(s, a);
    pull(s, a, 7);

    const res = await s.action("complete-recommendation", token, {
      recommendationId: a.recId,
      pullRequestUrl: "https://github.com/octo/demo/pull/7",
    });
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ data: { recommendationId: a.recId, status: "verifying" } });
    // The request itself asked GitHub nothing.
    expect(s.fake.state.requests["rest-pulls"]).toBe(0);

    const [run] = verifyRuns(await s.executor.drain());
    expect(run).toMatchObject({
      status: "completed",
      result: { status: "accepted", reason: null, changed: true, closesIssue: true },
    });
    expect(await recommendationRow(db.sql, a.recId)).toEqual({
      status: "completed",
      completed: true,
      updated_by: "system:verify-completion",
    });
    const [completion] = await completionRows(db.sql, a.recId);
    expect(completion).toEqual({
      id: expect.any(Number),
      status: "accepted",
      reason: null,
      requests: 1,
      pr_owner: "octo",
      pr_repo: "demo",
      pr_number: 7,
      created_by: `user:${a.user.id}`,
      updated_by: "system:verify-completion",
    });

    const sent = s.executor.stored.events.filter(
      (e) => e.event.name === "recommendation/completion.requested",
    );
    expect(sent.map((e) => [e.event.id, e.event.data])).toEqual([
      [
        `completion-requested:${completion!.id}:1`,
        { userId: a.user.id, recommendationId: a.recId, completionId: completion!.id },
      ],
    ]);
    expect(s.fake.state.requests).toMatchObject({ mint: 1, "rest-pulls": 1 });
    const issued = s.fake.state.issuedTokens.find((t) => t.installationId === a.installationId);
    expect(s.fake.state.authorizations.filter((x) => x.kind === "rest-pulls")).toEqual([
      { kind: "rest-pulls", header: `token ${issued!.token}` },
    ]);
    expect(s.fake.state.rejections).toEqual([]);

    const secrets = s.secrets();
    const stored = s.executor.storedText();
    const logs = s.logLines.join("");
    const rows = await stack.databaseText();
    expect(stored).toContain("verify-pull-request");
    for (const secret of secrets) {
      expect(stored.includes(secret), "inngest storage").toBe(false);
      expect(logs.includes(secret), "logs").toBe(false);
      expect(rows.includes(secret), "database").toBe(false);
    }
  });

  it.each([
    {
      why: "a PR by someone else is refused as not_author",
      url: "https://github.com/octo/demo/pull/8",
      over: { author: { login: "someone-else", id: 1 } },
      reason: "not_author",
    },
    {
      why: "a PR in another repository is refused as wrong_repository",
      url: "https://github.com/other/repo/pull/8",
      over: {},
      reason: "wrong_repository",
    },
    {
      why: "a PR whose base is another repository (same URL path) is refused as wrong_repository",
      url: "https://github.com/octo/demo/pull/8",
      over: { base: { id: 1, full_name: "fork/demo" } },
      reason: "wrong_repository",
    },
    {
      why: "a PR not referencing the issue is refused as no_reference",
      url: "https://github.com/octo/demo/pull/8",
      over: { title: "Tidy up", body: "Refs #1 and octo/demo#99999999" },
      reason: "no_reference",
    },
    {
      why: "a PR GitHub does not find is refused as pr_not_found, without retrying",
      url: "https://github.com/octo/demo/pull/9",
      over: {},
      reason: "pr_not_found",
    },
  ])("$why, and the recommendation stays claimed", async ({ url, over, reason }) => {
    const s = stack.arrange();
    const a = await arrangeCompletion(db.sql);
    const token = await claimed(s, a);
    pull(s, a, 8, over);
    s.fake.state.pulls.set(
      pullKey("other", "repo", 8),
      s.fake.state.pulls.get(pullKey("octo", "demo", 8))!,
    );

    const res = await s.action("complete-recommendation", token, {
      recommendationId: a.recId,
      pullRequestUrl: url,
    });
    expect(res.status).toBe(202);
    const [run] = verifyRuns(await s.executor.drain());
    expect(run).toMatchObject({ status: "completed", result: { status: "refused", reason } });
    expect(run!.attempts.filter((x) => x.status >= 500)).toHaveLength(0);
    expect(await completionRows(db.sql, a.recId)).toMatchObject([{ status: "refused", reason }]);
    expect(await recommendationRow(db.sql, a.recId)).toEqual({
      status: "claimed",
      completed: false,
      updated_by: `user:${a.user.id}`,
    });
  });

  it("refuses no_installation when none of the user's installations lists the issue's repository", async () => {
    const s = stack.arrange();
    const a = await arrangeCompletion(db.sql, { installationRepo: false });
    const token = await claimed(s, a);
    pull(s, a, 3);
    await s.action("complete-recommendation", token, {
      recommendationId: a.recId,
      pullRequestUrl: "https://github.com/octo/demo/pull/3",
    });
    const [run] = verifyRuns(await s.executor.drain());
    expect(run).toMatchObject({ result: { status: "refused", reason: "no_installation" } });
    expect(s.fake.state.requests).toMatchObject({ mint: 0, "rest-pulls": 0 });
    expect(await recommendationRow(db.sql, a.recId)).toMatchObject({ status: "claimed" });
  });

  it("answers 404 for another user's recommendation and records nothing", async () => {
    const s = stack.arrange();
    const a = await arrangeCompletion(db.sql);
    await claimed(s, a);
    const intruder = await createUser(db.sql);
    const res = await s.action("complete-recommendation", await s.userToken(intruder), {
      recommendationId: a.recId,
      pullRequestUrl: "https://github.com/octo/demo/pull/1",
    });
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: "recommendation_not_found" });
    expect(await completionRows(db.sql, a.recId)).toEqual([]);
    expect(s.executor.stored.events).toEqual([]);
  });

  it("answers 409 for a recommendation that is not claimed", async () => {
    const s = stack.arrange();
    const user = await createUser(db.sql);
    const [recId] = await createRecommendations(db.sql, user.id, 1);
    const res = await s.action("complete-recommendation", await s.userToken(user), {
      recommendationId: recId,
      pullRequestUrl: "https://github.com/octo/demo/pull/1",
    });
    expect(res.status).toBe(409);
    expect(await res.json()).toEqual({ error: "recommendation_not_claimed" });
    expect(await completionRows(db.sql, recId!)).toEqual([]);
    expect(s.executor.stored.events).toEqual([]);
  });

  it("refuses an API-key session with 403 human_only before recording anything", async () => {
    const s = stack.arrange();
    const a = await arrangeCompletion(db.sql);
    const token = await claimed(s, a);
    const { key } = await s.apiKey(token);
    const res = await s.action("complete-recommendation", key, {
      recommendationId: a.recId,
      pullRequestUrl: "https://github.com/octo/demo/pull/1",
    });
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ error: "human_only" });
    expect(await completionRows(db.sql, a.recId)).toEqual([]);
    expect(s.executor.stored.events).toEqual([]);
  });

  it.each([
    "http://github.com/octo/demo/pull/1",
    "https://github.com/octo/demo/pull/1/files",
    "https://github.com/octo/demo/pull/1?x=1",
    "https://github.com/octo/demo/pull/1#top",
    "https://github.com/octo/demo/issues/1",
    "https://github.com/octo/demo/pull/0",
    "https://github.com/octo/demo/pull/-1",
    "https://user:pw@github.com/octo/demo/pull/1",
    "https://github.com.evil.test/octo/demo/pull/1",
    "https://github.com/octo/../pull/1",
    " https://github.com/octo/demo/pull/1",
  ])("answers 400 for the malformed URL %j", async (pullRequestUrl) => {
    const s = stack.arrange({ github: false });
    const user = await createUser(db.sql);
    const [recId] = await createRecommendations(db.sql, user.id, 1);
    const res = await s.action("complete-recommendation", await s.userToken(user), {
      recommendationId: recId,
      pullRequestUrl,
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: "invalid_input", issues: ["pullRequestUrl"] });
  });
});
