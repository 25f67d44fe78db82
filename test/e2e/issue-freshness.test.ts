import { randomUUID } from "node:crypto";
import { http, HttpResponse } from "msw";
import { describe, expect, it } from "vitest";
import { INNGEST_APP_ID } from "../../inngest.config.ts";
import { forwardedEventId } from "../../src/inngest/github-events.ts";
import { createInstallation, createUser } from "../support/fixtures.ts";
import type { FakeIssue } from "../support/github-msw-issues.ts";
import { issuesExample } from "../support/webhook-examples.ts";
import { INNGEST_URL } from "./audit-stack.ts";
import { useWebhookStack } from "./webhook-stack.ts";

const stack = useWebhookStack();
const { db } = stack;
const ACTOR = "system:issue-freshness";
const DAY_MS = 86_400_000;
const SEARCHED_AT = new Date(Date.now() - 2 * DAY_MS).toISOString();
const HOOKED_AT = new Date(Date.now() - DAY_MS).toISOString().replace(/\.\d{3}Z$/, "Z");

type Arranged = ReturnType<typeof stack.arrangeWebhooks>;
type User = Awaited<ReturnType<typeof createUser>>;
let seq = 0;

/**
 * Two users of one installation (its account and its installer), one repository with two
 * newcomer issues on the fake GitHub, and both users' recommendations built from it.
 */
async function arrangeCandidates() {
  const s = stack.arrangeWebhooks();
  const n = ++seq;
  const ada = await createUser(db.sql, { login: `fresh-ada-${n}` });
  const bob = await createUser(db.sql, { login: `fresh-bob-${n}` });
  const installationId = await createInstallation(db.sql, {
    accountId: ada.githubId,
    installedBy: bob.githubId,
  });
  const repo = { id: 7_700_000 + n, full_name: `fresh-org-${n}/widgets`, private: false };
  await db.sql`
    insert into public.github_installation_repositories (installation_id, repository_id, full_name, private, updated_by)
    values (${installationId}, ${repo.id}, ${repo.full_name}, false, 'system:test')`;
  s.fake.state.repositories.set(installationId, [repo]);
  const issues: FakeIssue[] = [1, 2].map((number) => ({
    databaseId: 8_800_000 + n * 10 + number,
    number,
    title: `Issue ${number}`,
    labels: ["good first issue", "help wanted"],
    updatedAt: SEARCHED_AT,
    language: "TypeScript",
  }));
  s.fake.state.issues.set(repo.full_name, issues);
  for (const user of [ada, bob]) {
    const [run] = await s.executor.send(requested(user));
    expect(run).toMatchObject({ status: "completed", result: { recommended: 2 } });
  }
  return { s, ada, bob, installationId, repo, issues };
}

type Arrangement = Awaited<ReturnType<typeof arrangeCandidates>>;

const requested = (user: User) => ({
  name: "recommendations/build.requested",
  data: { userId: user.id },
});

/** A shipped `issues` example re-targeted at one of the arranged issues, as GitHub would send it. */
function issuesBody(
  a: Pick<Arrangement, "installationId" | "repo">,
  issue: FakeIssue,
  action: string,
  change: {
    labels?: string[];
    assignees?: User[];
    state?: "open" | "closed";
    updatedAt?: string;
    installationId?: number;
    repositoryId?: number;
  } = {},
) {
  const payload = issuesExample(action);
  payload.installation = { id: change.installationId ?? a.installationId };
  payload.repository = {
    ...payload.repository,
    id: change.repositoryId ?? a.repo.id,
    full_name: a.repo.full_name,
  };
  const assignees = (change.assignees ?? []).map((u) => ({ id: u.githubId, login: u.login }));
  payload.issue = {
    ...payload.issue,
    id: issue.databaseId,
    number: issue.number,
    state: change.state ?? (action === "closed" || action === "deleted" ? "closed" : "open"),
    updated_at: change.updatedAt ?? HOOKED_AT,
    labels: (change.labels ?? issue.labels).map((name) => ({ name, color: "7057ff" })),
    assignee: assignees[0] ?? null,
    assignees,
  };
  if (action === "assigned") payload.assignee = assignees.at(-1)!;
  return JSON.stringify(payload);
}

async function deliverIssue(s: Arranged, body: string, deliveryId: string = randomUUID()) {
  const delivered = await s.deliver({ event: "issues", body, deliveryId });
  expect(delivered.res.status).toBe(202);
  const runs = await s.executor.drain();
  return { ...delivered, runs };
}

async function candidate(githubIssueId: number) {
  const [row] = await db.sql`
    select state, updated_by from public.candidate_issues where github_issue_id = ${githubIssueId}`;
  return row;
}

/** Every recommendation of the arranged users, by user and issue number. */
async function recommendations(users: User[]) {
  return db.sql<
    { login: string; number: number; status: string; updated_by: string; updated_at: Date }[]
  >`
    select p.github_login as login, c.number, r.status, r.updated_by, r.updated_at
      from public.recommendations r
      join public.candidate_issues c on c.id = r.candidate_issue_id
      join public.profiles p on p.id = r.user_id
     where r.user_id in ${db.sql(users.map((u) => u.id))}
     order by p.github_login, c.number`;
}

async function claim(user: User, number: number, repo: string) {
  const rows = await db.sql`
    update public.recommendations r set status = 'claimed', claimed_at = now(),
           claim_expires_at = now() + interval '14 days', updated_by = ${`user:${user.id}`}
      from public.candidate_issues c
     where c.id = r.candidate_issue_id and r.user_id = ${user.id} and c.number = ${number}
       and c.repo_full_name = ${repo}
    returning r.id`;
  expect(rows).toHaveLength(1);
}

async function makeStale(repo: string) {
  await db.sql`
    update public.candidate_repositories set fetched_at = now() - interval '31 minutes'
     where repo_full_name = ${repo}`;
}

describe("issues webhooks keep candidates fresh", () => {
  it("closed: the candidate leaves the open set, open recommendations expire, a claim stays; a rerun changes nothing", async () => {
    const a = await arrangeCandidates();
    const { s, ada, bob, issues } = a;
    await claim(bob, 1, a.repo.full_name);

    const { deliveryId, runs } = await deliverIssue(s, issuesBody(a, issues[0]!, "closed"));
    // Identifiers and the verdict only: no title, label, login or repository name.
    const data = {
      deliveryId,
      installationId: a.installationId,
      repositoryId: a.repo.id,
      issueId: issues[0]!.databaseId,
      issueNumber: 1,
      issueUpdatedAt: HOOKED_AT,
      eligible: false,
    };
    expect(s.forwarded()).toEqual([
      { name: "github/issue.closed", id: forwardedEventId(deliveryId), data },
    ]);
    const [row] = await stack.deliveryRows(deliveryId);
    expect(row).toMatchObject({ status: "forwarded", forward_event: "github/issue.closed" });
    expect(row!["forward_data"]).toEqual(data);
    expect(runs).toEqual([
      expect.objectContaining({
        functionId: "credential-free-jobs-issue-freshness",
        status: "completed",
        result: expect.objectContaining({
          outcome: "applied",
          candidatesClosed: 1,
          recommendationsExpired: 1,
        }),
      }),
    ]);

    expect(await candidate(issues[0]!.databaseId)).toEqual({ state: "closed", updated_by: ACTOR });
    const after = await recommendations([ada, bob]);
    expect(after.map((r) => [r.login, r.number, r.status, r.updated_by])).toEqual([
      [ada.login, 1, "expired", ACTOR],
      [ada.login, 2, "open", "system:recommendations-build"],
      // Bob's own pull request may be what closed it: his claim is his to complete.
      [bob.login, 1, "claimed", `user:${bob.id}`],
      [bob.login, 2, "open", "system:recommendations-build"],
    ]);

    // Dashboard rerun and a redelivery of the same id: nothing more changes.
    const [again] = await s.executor.rerun(runs[0]!);
    expect(again).toMatchObject({
      status: "completed",
      result: { outcome: "current", candidatesClosed: 0, recommendationsExpired: 0 },
    });
    const redelivered = await deliverIssue(s, issuesBody(a, issues[0]!, "closed"), deliveryId);
    expect(redelivered.body).toMatchObject({ status: "duplicate" });
    expect(redelivered.runs).toEqual([]);
    expect(await recommendations([ada, bob])).toEqual(after);

    // What Inngest and the outbox keep of the delivery (the builds' steps name the repository).
    const freshnessRuns = s.executor.stored.runs.filter((r) =>
      r.functionId.endsWith("issue-freshness"),
    );
    const stored = JSON.stringify([s.forwarded(), freshnessRuns, await stack.deliveryRows()]);
    const example = issuesExample("closed");
    for (const text of [example.issue.title, `"${example.sender.login}"`, a.repo.full_name]) {
      expect(stored.includes(text), text).toBe(false);
    }
  });

  it("a later build does not resurrect a closed issue that GitHub's search still lists, until GitHub changes the issue", async () => {
    const a = await arrangeCandidates();
    const { s, ada, issues } = a;
    await deliverIssue(s, issuesBody(a, issues[0]!, "closed"));

    // The search index lags the webhook: the fake GitHub still lists #1 as it was.
    await makeStale(a.repo.full_name);
    const [stale] = await s.executor.send(requested(ada));
    expect(stale).toMatchObject({ status: "completed", result: { recommended: 1 } });
    expect(s.fake.state.requests["issue-search"]).toBe(2);
    expect(await candidate(issues[0]!.databaseId)).toMatchObject({ state: "closed" });
    expect((await recommendations([ada])).map((r) => [r.number, r.status])).toEqual([
      [1, "expired"],
      [2, "open"],
    ]);

    // Reopened on GitHub: the search now lists a newer issue, and the recommendation returns.
    issues[0]!.updatedAt = new Date().toISOString();
    await makeStale(a.repo.full_name);
    const [reopened] = await s.executor.send(requested(ada));
    expect(reopened).toMatchObject({ status: "completed", result: { recommended: 2 } });
    expect(await candidate(issues[0]!.databaseId)).toMatchObject({ state: "open" });
    expect((await recommendations([ada])).map((r) => [r.number, r.status, r.updated_by])).toEqual([
      [1, "open", "system:recommendations-build"],
      [2, "open", "system:recommendations-build"],
    ]);
  });

  it("assigned: others' open recommendations expire, the assignee keeps theirs to claim", async () => {
    const a = await arrangeCandidates();
    const { s, ada, bob, issues } = a;
    const { runs } = await deliverIssue(
      s,
      issuesBody(a, issues[1]!, "assigned", { assignees: [ada] }),
    );
    expect(s.forwarded()[0]).toMatchObject({
      name: "github/issue.assigned",
      data: { eligible: false, assigneeId: ada.githubId },
    });
    expect(runs[0]).toMatchObject({
      status: "completed",
      result: { outcome: "applied", candidatesClosed: 1, recommendationsExpired: 1 },
    });
    expect(await candidate(issues[1]!.databaseId)).toMatchObject({ state: "closed" });
    expect((await recommendations([ada, bob])).map((r) => [r.login, r.number, r.status])).toEqual([
      [ada.login, 1, "open"],
      [ada.login, 2, "open"],
      [bob.login, 1, "open"],
      [bob.login, 2, "expired"],
    ]);
  });

  it("unlabeled: a remaining newcomer label keeps the candidate; removing the last one does not", async () => {
    const a = await arrangeCandidates();
    const { s, ada, bob, issues } = a;
    const kept = await deliverIssue(
      s,
      issuesBody(a, issues[0]!, "unlabeled", { labels: ["good first issue"] }),
    );
    expect(kept.runs[0]).toMatchObject({
      result: {
        eligible: true,
        outcome: "applied",
        candidatesClosed: 0,
        recommendationsExpired: 0,
      },
    });
    expect(await candidate(issues[0]!.databaseId)).toMatchObject({ state: "open" });

    const later = new Date(Date.parse(HOOKED_AT) + 60_000).toISOString();
    const gone = await deliverIssue(
      s,
      issuesBody(a, issues[0]!, "unlabeled", { labels: ["bug"], updatedAt: later }),
    );
    expect(gone.runs[0]).toMatchObject({
      result: {
        eligible: false,
        outcome: "applied",
        candidatesClosed: 1,
        recommendationsExpired: 2,
      },
    });
    expect((await recommendations([ada, bob])).map((r) => [r.number, r.status])).toEqual([
      [1, "expired"],
      [2, "open"],
      [1, "expired"],
      [2, "open"],
    ]);
  });

  it("deleted: the candidate and its open recommendations go", async () => {
    const a = await arrangeCandidates();
    const { runs } = await deliverIssue(a.s, issuesBody(a, a.issues[1]!, "deleted"));
    expect(a.s.forwarded()[0]).toMatchObject({
      name: "github/issue.deleted",
      data: { eligible: false },
    });
    expect(runs[0]).toMatchObject({
      result: { outcome: "applied", candidatesClosed: 1, recommendationsExpired: 2 },
    });
    expect(await candidate(a.issues[1]!.databaseId)).toMatchObject({ state: "closed" });
  });

  it("out of order: a closed delivery older than the reopened one already applied changes nothing", async () => {
    const a = await arrangeCandidates();
    const { s, ada, bob, issues } = a;
    const reopenedAt = new Date(Date.parse(HOOKED_AT) + 60_000).toISOString();
    const reopened = await deliverIssue(
      s,
      issuesBody(a, issues[0]!, "reopened", { updatedAt: reopenedAt }),
    );
    expect(reopened.runs[0]).toMatchObject({ result: { eligible: true, outcome: "applied" } });
    // Eligible again on GitHub: the next build searches the repository again.
    const [repo] = await db.sql`
      select fetched_at from public.candidate_repositories where repo_full_name = ${a.repo.full_name}`;
    expect(repo).toEqual({ fetched_at: null });

    const closed = await deliverIssue(s, issuesBody(a, issues[0]!, "closed"));
    expect(closed.runs[0]).toMatchObject({
      result: { outcome: "stale", candidatesClosed: 0, recommendationsExpired: 0 },
    });
    expect(await candidate(issues[0]!.databaseId)).toMatchObject({ state: "open" });
    expect((await recommendations([ada, bob])).every((r) => r.status === "open")).toBe(true);
  });

  it("issues of an unknown installation, or of a repository the installation does not list, change nothing", async () => {
    const a = await arrangeCandidates();
    const { s, ada, bob, issues } = a;
    const before = await recommendations([ada, bob]);
    const other = await deliverIssue(
      s,
      issuesBody(a, issues[0]!, "closed", { installationId: a.installationId + 1 }),
    );
    const elsewhere = await deliverIssue(
      s,
      issuesBody(a, issues[0]!, "closed", { repositoryId: a.repo.id + 1_000_000 }),
    );
    for (const d of [other, elsewhere]) {
      expect(d.runs[0]).toMatchObject({
        status: "completed",
        result: { outcome: "unrelated", candidatesClosed: 0, recommendationsExpired: 0 },
      });
    }
    expect(await candidate(issues[0]!.databaseId)).toMatchObject({
      state: "open",
      updated_by: "system:recommendations-build",
    });
    expect(await recommendations([ada, bob])).toEqual(before);
    const states = await db.sql`
      select 1 from public.issue_webhook_states where github_issue_id = ${issues[0]!.databaseId}`;
    expect(states).toEqual([]);
  });

  it("an issues delivery Inngest did not take is forwarded later from the outbox, verdict intact", async () => {
    const a = await arrangeCandidates();
    const { s, issues } = a;
    let inngestDown = true;
    stack.server.use(
      http.post(`${INNGEST_URL}/e/:key`, () => (inngestDown ? HttpResponse.error() : undefined)),
    );
    const { deliveryId, runs } = await deliverIssue(s, issuesBody(a, issues[0]!, "closed"));
    expect(runs).toEqual([]);
    expect(await candidate(issues[0]!.databaseId)).toMatchObject({ state: "open" });

    inngestDown = false;
    await db.sql`
      update public.webhook_deliveries set received_at = received_at - interval '1 minute'
       where delivery_id = ${deliveryId}`;
    const ticked = await s.executor.tick(`${INNGEST_APP_ID}-forward-webhook-deliveries`);
    expect(ticked[0]).toMatchObject({ status: "completed", result: { forwarded: 1 } });
    const applied = await s.executor.drain();
    expect(s.forwarded()).toEqual([
      expect.objectContaining({
        name: "github/issue.closed",
        data: expect.objectContaining({ eligible: false }),
      }),
    ]);
    expect(
      [...ticked, ...applied].find((r) => r.functionId.endsWith("issue-freshness")),
    ).toMatchObject({
      status: "completed",
      result: { outcome: "applied", candidatesClosed: 1 },
    });
    expect(await candidate(issues[0]!.databaseId)).toMatchObject({ state: "closed" });
  });
});
