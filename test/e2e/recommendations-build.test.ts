import { INNGEST_APP_ID } from "../../inngest.config.ts";
import { describe, expect, it } from "vitest";
import type { FakeIssue } from "../support/github-msw-issues.ts";
import { createInstallation, createUser } from "../support/fixtures.ts";
import { useAuditStack } from "./audit-stack.ts";

const stack = useAuditStack();
const { db } = stack;
const ACTOR = "system:recommendations-build";
const DAY_MS = 86_400_000;

type Arranged = ReturnType<typeof stack.arrange>;
let repoSeq = 900_000;

/** An active installation with its repositories, in the database and on the fake GitHub. */
async function install(
  s: Arranged,
  opts: { accountId: number; installedBy?: number; repositories: string[] },
) {
  const id = await createInstallation(db.sql, {
    accountId: opts.accountId,
    ...(opts.installedBy ? { installedBy: opts.installedBy } : {}),
  });
  const repositories = opts.repositories.map((full_name) => ({
    id: repoSeq++,
    full_name,
    private: false,
  }));
  for (const r of repositories) {
    await db.sql`
      insert into public.github_installation_repositories (installation_id, repository_id, full_name, private, updated_by)
      values (${id}, ${r.id}, ${r.full_name}, false, 'system:test')`;
  }
  s.fake.state.repositories.set(id, repositories);
  return id;
}

const UPDATED = new Date(Date.now() - 2 * DAY_MS).toISOString();
let issueSeq = 5_000_000;
const issue = (number: number, labels: string[], extra: Partial<FakeIssue> = {}): FakeIssue => ({
  databaseId: issueSeq++,
  number,
  title: `Issue ${number}`,
  labels,
  updatedAt: UPDATED,
  ...extra,
});

let orgSeq = 0;
/**
 * The candidate cache is shared by repository name across users, as in production; each
 * test gets its own organisation so that tests do not share it.
 */
function organisation() {
  const org = `acme-${++orgSeq}`;
  return { org, widgets: `${org}/widgets`, gadgets: `${org}/gadgets` };
}

/** Issues across several repositories and labels; only some may be recommended. */
function serveIssues(s: Arranged, org: string, ownRepo: string) {
  s.fake.state.issues.set(`${org}/widgets`, [
    issue(1, ["good first issue"], { language: "TypeScript" }),
    issue(2, ["help wanted"], { language: "TypeScript" }),
    issue(3, ["bug"], { language: "TypeScript" }),
    issue(4, ["good first issue"], { language: "TypeScript", assignees: 1 }),
    issue(7, ["good first issue"], { language: "TypeScript", state: "closed" }),
  ]);
  s.fake.state.issues.set(`${org}/gadgets`, [issue(5, ["Good First Issue"], { language: "Go" })]);
  s.fake.state.issues.set(ownRepo, [issue(6, ["good first issue"], { language: "TypeScript" })]);
  // Not in the installation: GitHub would not show it to the installation's token.
  s.fake.state.issues.set("elsewhere/private", [issue(8, ["good first issue"])]);
}

async function recommendationsOf(userId: string) {
  return db.sql<
    {
      repo: string;
      number: number;
      status: string;
      created_by: string;
      expires_at: Date;
      rank_score: number;
    }[]
  >`
    select c.repo_full_name as repo, c.number, r.status, r.created_by, r.expires_at, r.rank_score
      from public.recommendations r join public.candidate_issues c on c.id = r.candidate_issue_id
     where r.user_id = ${userId}
     order by r.rank_score desc, c.repo_full_name, c.number`;
}

const requested = (userId: string) => ({
  name: "recommendations/build.requested",
  data: { userId },
});

describe("recommendations-build", () => {
  it("recommends the newcomer issues of the user's installation, best first, none from the user's own repositories", async () => {
    const s = stack.arrange();
    const o = organisation();
    const user = await createUser(db.sql, { login: "newbie-ada" });
    await install(s, {
      accountId: user.githubId,
      repositories: [o.widgets, o.gadgets, "newbie-ada/dotfiles"],
    });
    serveIssues(s, o.org, "newbie-ada/dotfiles");

    const before = Date.now();
    const [run] = await s.executor.send(requested(user.id));
    expect(run).toMatchObject({
      status: "completed",
      result: { userId: user.id, candidates: 4, recommended: 3, inserted: 3, refreshed: 0 },
    });

    // Level 0 wants first issues; TypeScript is known from the user's own repository.
    const recs = await recommendationsOf(user.id);
    expect(recs.map((r) => `${r.repo}#${r.number}`)).toEqual([
      `${o.widgets}#1`,
      `${o.widgets}#2`,
      `${o.gadgets}#5`,
    ]);
    for (const r of recs) {
      expect(r).toMatchObject({ status: "open", created_by: ACTOR });
      expect(r.expires_at.getTime()).toBeGreaterThanOrEqual(before + 7 * DAY_MS - 60_000);
      expect(r.expires_at.getTime()).toBeLessThanOrEqual(Date.now() + 7 * DAY_MS + 60_000);
    }
    expect(s.fake.state.requests["issue-search"]).toBe(1);
    expect(s.fake.state.rejections).toEqual([]);

    // The user's own issue is cached (it says what they write) but never recommended.
    const [own] = await db.sql`
      select state, language from public.candidate_issues where repo_full_name = 'newbie-ada/dotfiles'`;
    expect(own).toEqual({ state: "open", language: "TypeScript" });

    const secrets = s.secrets();
    const stored = s.executor.storedText();
    for (const secret of secrets) expect(stored.includes(secret), "inngest storage").toBe(false);
  });

  it("a rerun adds nothing twice, searches GitHub no more within the freshness window, and leaves claimed rows alone", async () => {
    const s = stack.arrange();
    const o = organisation();
    const user = await createUser(db.sql, { login: "rerun-rae" });
    await install(s, { accountId: user.githubId, repositories: [o.widgets, o.gadgets] });
    serveIssues(s, o.org, "rerun-rae/dotfiles");
    const [run] = await s.executor.send(requested(user.id));
    expect(run).toMatchObject({ status: "completed" });
    const first = await recommendationsOf(user.id);
    expect(first).toHaveLength(3);

    const claimed = await db.sql<{ id: number; updated_at: Date }[]>`
      update public.recommendations r set status = 'claimed', claimed_at = now(),
             claim_expires_at = now() + interval '14 days', updated_by = ${`user:${user.id}`}
        from public.candidate_issues c
       where c.id = r.candidate_issue_id and r.user_id = ${user.id} and c.number = 2
      returning r.id, r.updated_at`;
    expect(claimed).toHaveLength(1);

    const [again] = await s.executor.rerun(run!);
    expect(again).toMatchObject({
      status: "completed",
      result: { recommended: 3, inserted: 0, refreshed: 2 },
    });
    const second = await recommendationsOf(user.id);
    expect(second.map((r) => [r.repo, r.number, r.status])).toEqual([
      [o.gadgets, 5, "open"],
      [o.widgets, 1, "open"],
      [o.widgets, 2, "claimed"],
    ]);
    const [still] = await db.sql`
      select updated_at, updated_by from public.recommendations where id = ${claimed[0]!.id}`;
    expect(still).toEqual({ updated_at: claimed[0]!.updated_at, updated_by: `user:${user.id}` });
    expect(s.fake.state.requests["issue-search"]).toBe(1);
  });

  it("never recommends again an issue the user released or a sweep expired, when a later build ranks it", async () => {
    const s = stack.arrange();
    const o = organisation();
    const user = await createUser(db.sql, { login: "dropper-dee" });
    await install(s, { accountId: user.githubId, repositories: [o.widgets, o.gadgets] });
    serveIssues(s, o.org, "dropper-dee/dotfiles");
    const [run] = await s.executor.send(requested(user.id));
    expect(run).toMatchObject({ status: "completed", result: { recommended: 3 } });
    const token = await s.userToken(user);
    const idOf = async (repo: string, number: number) =>
      (
        await db.sql<{ id: number }[]>`
          select r.id from public.recommendations r join public.candidate_issues c on c.id = r.candidate_issue_id
           where r.user_id = ${user.id} and c.repo_full_name = ${repo} and c.number = ${number}`
      )[0]!.id;

    // Released by the user (claimed, then released: open again, last written by the user).
    const released = await idOf(o.widgets, 1);
    expect(
      (await s.action("claim-recommendation", token, { recommendationId: released })).status,
    ).toBe(200);
    expect(
      (await s.action("release-recommendation", token, { recommendationId: released })).status,
    ).toBe(200);
    // Past its 7 days and expired by the sweep (expire-recommendations), as system:recommendation-sweeps.
    const expired = await idOf(o.gadgets, 5);
    await db.sql`update public.recommendations set expires_at = now() - interval '1 minute' where id = ${expired}`;
    const [sweep] = await s.executor.tick(`${INNGEST_APP_ID}-expire-recommendations`);
    expect(sweep).toMatchObject({ status: "completed" });

    const before = await db.sql<{ id: number; status: string; updated_by: string }[]>`
      select id, status, expires_at, updated_at, updated_by from public.recommendations
       where id in (${released}, ${expired}) order by id`;
    expect(before.map((r) => [r.id, r.status, r.updated_by])).toEqual(
      [
        [released, "open", `user:${user.id}`],
        [expired, "expired", "system:recommendation-sweeps"],
      ].sort((a, b) => Number(a[0]) - Number(b[0])),
    );

    // A real build later: both issues are still open candidates, but neither is ranked or written.
    const [later] = await s.executor.send(requested(user.id));
    expect(later).toMatchObject({
      status: "completed",
      result: { candidates: 3, recommended: 1, inserted: 0, refreshed: 1 },
    });
    expect(
      await db.sql`
        select id, status, expires_at, updated_at, updated_by from public.recommendations
         where id in (${released}, ${expired}) order by id`,
    ).toEqual(before);
    const rows = (await recommendationsOf(user.id)).map((r) => `${r.repo}#${r.number} ${r.status}`);
    expect(rows.sort()).toEqual([
      `${o.gadgets}#5 expired`,
      `${o.widgets}#1 open`,
      `${o.widgets}#2 open`,
    ]);
  });

  it("refreshes a repository once its candidates are stale, closing what GitHub no longer lists", async () => {
    const s = stack.arrange();
    const o = organisation();
    const user = await createUser(db.sql, { login: "stale-sam" });
    await install(s, { accountId: user.githubId, repositories: [o.widgets] });
    serveIssues(s, o.org, "stale-sam/dotfiles");
    const [run] = await s.executor.send(requested(user.id));
    expect(run).toMatchObject({ status: "completed", result: { recommended: 2 } });

    s.fake.state.issues.get(o.widgets)![1]!.assignees = 1; // #2 taken on GitHub
    await db.sql`
      update public.candidate_repositories set fetched_at = now() - interval '31 minutes'
       where repo_full_name = ${o.widgets}`;
    const [again] = await s.executor.send(requested(user.id));
    expect(again).toMatchObject({
      status: "completed",
      result: {
        refreshes: [expect.objectContaining({ status: "refreshed", stored: 1, closed: 1 })],
        recommended: 1,
      },
    });
    expect(s.fake.state.requests["issue-search"]).toBe(2);
    const [taken] = await db.sql`
      select state from public.candidate_issues where repo_full_name = ${o.widgets} and number = 2`;
    expect(taken).toEqual({ state: "closed" });
  });

  it("two users of one installation cost one candidate search, and one's claim is not recommended to the other", async () => {
    const s = stack.arrange();
    const o = organisation();
    const owner = await createUser(db.sql, { login: "owner-olu" });
    const installer = await createUser(db.sql, { login: "installer-ivy" });
    await install(s, {
      accountId: owner.githubId,
      installedBy: installer.githubId,
      repositories: [o.widgets, o.gadgets],
    });
    serveIssues(s, o.org, "owner-olu/dotfiles");

    const [first] = await s.executor.send(requested(owner.id));
    expect(first).toMatchObject({ status: "completed", result: { inserted: 3 } });
    await db.sql`
      update public.recommendations r set status = 'claimed', claimed_at = now(),
             claim_expires_at = now() + interval '14 days', updated_by = ${`user:${owner.id}`}
        from public.candidate_issues c
       where c.id = r.candidate_issue_id and r.user_id = ${owner.id} and c.number = 1`;
    const [second] = await s.executor.send(requested(installer.id));
    expect(second).toMatchObject({
      status: "completed",
      result: { refreshes: [], inserted: 2 },
    });

    expect(s.fake.state.requests["issue-search"]).toBe(1);
    expect(s.fake.state.requests.mint).toBe(1);
    expect((await recommendationsOf(installer.id)).map((r) => `${r.repo}#${r.number}`)).toEqual([
      `${o.gadgets}#5`,
      `${o.widgets}#2`,
    ]);
  });

  it("runs after a completed audit: sign-in leads to recommendations", async () => {
    const s = stack.arrange();
    const o = organisation();
    const user = await createUser(db.sql, { login: "signin-sol" });
    await install(s, { accountId: user.githubId, repositories: [o.widgets, o.gadgets] });
    serveIssues(s, o.org, "signin-sol/dotfiles");

    expect((await s.action("bootstrap-profile", await s.userToken(user))).status).toBe(200);
    const runs = await s.executor.drain();
    const build = runs.find((r) => r.functionId.endsWith("-recommendations-build"));
    expect(build).toMatchObject({ status: "completed", result: { recommended: 3 } });
    expect(build!.event.name).toBe("audit/completed");
    expect(await recommendationsOf(user.id)).toHaveLength(3);
  });

  it.each([403, 429] as const)(
    "a candidate search rate-limited with %i is retried at GitHub's reset, and no recommendation is lost",
    async (status) => {
      const s = stack.arrange();
      const o = organisation();
      const user = await createUser(db.sql, { login: `limited-${status}` });
      await install(s, { accountId: user.githubId, repositories: [o.widgets, o.gadgets] });
      serveIssues(s, o.org, `limited-${status}/dotfiles`);
      s.fake.state.issueSearchLimits.push(status);

      const [run] = await s.executor.send(requested(user.id));
      expect(run).toMatchObject({ status: "completed", result: { recommended: 3, inserted: 3 } });
      const retried = run!.attempts.filter((a) => a.retryAfter !== undefined);
      expect(retried).toHaveLength(1);
      expect(new Date(retried[0]!.retryAfter!).getTime()).toBe(
        s.fake.state.rateLimitResetEpoch * 1000,
      );
      // The refused search request, then the one on the retry.
      expect(s.fake.state.requests["issue-search"]).toBe(2);
      const recommended = (await recommendationsOf(user.id)).map((r) => `${r.repo}#${r.number}`);
      expect(recommended.sort()).toEqual([`${o.gadgets}#5`, `${o.widgets}#1`, `${o.widgets}#2`]);
      expect(s.fake.state.rejections).toEqual([]);
    },
  );

  it("ranks first the issue in a language the audit found in the user's own repositories", async () => {
    const s = stack.arrange();
    const o = organisation();
    const user = await createUser(db.sql, { login: "gopher-gil" });
    await install(s, { accountId: user.githubId, repositories: [o.widgets, o.gadgets] });
    // The user owns no candidate repository: the audit is the only source of languages.
    s.fake.state.users.set("gopher-gil", { languages: ["Go", null, "Go"] });
    // Without the language signal the fresher TypeScript issue would rank first.
    s.fake.state.issues.set(o.gadgets, [
      issue(1, ["good first issue"], { language: "TypeScript" }),
    ]);
    s.fake.state.issues.set(o.widgets, [
      issue(2, ["good first issue"], {
        language: "Go",
        updatedAt: new Date(Date.now() - 5 * DAY_MS).toISOString(),
      }),
    ]);

    expect((await s.action("bootstrap-profile", await s.userToken(user))).status).toBe(200);
    const runs = await s.executor.drain();
    expect(runs.find((r) => r.functionId.endsWith("-recommendations-build"))).toMatchObject({
      status: "completed",
      result: { recommended: 2 },
    });
    const [profile] = await db.sql`select languages from public.profiles where id = ${user.id}`;
    expect(profile).toEqual({ languages: ["Go"] });
    expect((await recommendationsOf(user.id)).map((r) => `${r.repo}#${r.number}`)).toEqual([
      `${o.widgets}#2`,
      `${o.gadgets}#1`,
    ]);
  });

  it("refuses a build request carrying anything but the user id", async () => {
    const s = stack.arrange();
    const user = await createUser(db.sql);
    const runs = await s.executor.send({
      name: "recommendations/build.requested",
      data: { userId: user.id, accessToken: "ghs_nope" },
    });
    const build = runs.find((r) => r.functionId.endsWith("-recommendations-build"));
    expect(build?.status).toBe("failed");
    expect(await recommendationsOf(user.id)).toEqual([]);
  });
});
