import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { sqlState } from "../support/as-role.ts";
import { createInstallation } from "../support/fixtures.ts";
import { useTestDatabase } from "../support/pg.ts";

const db = useTestDatabase();
const ACTOR = "system:issue-freshness";
let seq = 0;

/** An installation listing one repository, and one open cached candidate in it. */
async function arrange() {
  const n = ++seq;
  const installationId = await createInstallation(db.sql, { accountId: 6_600_000 + n });
  const repositoryId = 6_700_000 + n;
  const repo = `freshness-${n}/repo`;
  const issueId = 6_800_000 + n;
  await db.sql`
    insert into public.github_installation_repositories (installation_id, repository_id, full_name, updated_by)
    values (${installationId}, ${repositoryId}, ${repo}, 'system:test')`;
  await db.sql`
    insert into public.candidate_issues (github_issue_id, repo_full_name, number, title, html_url, updated_by)
    values (${issueId}, ${repo}, 1, 't', ${`https://github.com/${repo}/issues/1`}, 'system:test')`;
  return { installationId, repositoryId, repo, issueId };
}

type Arranged = Awaited<ReturnType<typeof arrange>>;

function apply(
  a: Arranged,
  at: string,
  eligible: boolean,
  opts: { deliveryId?: string; actor?: string } = {},
) {
  return db.sql<{ outcome: string; candidates_closed: number }[]>`
    select outcome, candidates_closed from public.apply_issue_event(
      ${a.installationId}, ${a.repositoryId}, ${a.issueId}, 1, ${at}::timestamptz, ${eligible},
      null, ${eligible ? "reopened" : "closed"}, ${opts.deliveryId ?? randomUUID()}, ${opts.actor ?? ACTOR})`;
}

async function state(a: Arranged) {
  const [row] = await db.sql`
    select state from public.candidate_issues where github_issue_id = ${a.issueId}`;
  return row!["state"] as string;
}

describe("apply_issue_event", () => {
  it("orders verdicts by the issue's updated_at: older is stale, and at the same instant unavailable wins", async () => {
    const a = await arrange();
    expect(await apply(a, "2026-11-20T10:00:00Z", true)).toEqual([
      { outcome: "applied", candidates_closed: 0 },
    ]);
    expect(await apply(a, "2026-11-20T09:00:00Z", false)).toEqual([
      { outcome: "stale", candidates_closed: 0 },
    ]);
    expect(await state(a)).toBe("open");
    expect(await apply(a, "2026-11-20T10:00:00Z", false)).toEqual([
      { outcome: "applied", candidates_closed: 1 },
    ]);
    expect(await apply(a, "2026-11-20T10:00:00Z", true)).toEqual([
      { outcome: "stale", candidates_closed: 0 },
    ]);
    expect(await state(a)).toBe("closed");
  });

  it("keeps a closed candidate closed against a search no newer than the verdict, and reopens it for a newer one", async () => {
    const a = await arrange();
    await apply(a, "2026-11-20T10:00:00Z", false);
    const owner = randomUUID();
    const refresh = async (updatedAt: string) => {
      await db.sql`
        select * from public.claim_candidate_refresh(
          ${a.installationId}, ${[a.repo]}::text[], 0, 300, ${owner}, 'system:recommendations-build')`;
      const issue = {
        github_issue_id: a.issueId,
        repo_full_name: a.repo,
        number: 1,
        title: "t",
        html_url: `https://github.com/${a.repo}/issues/1`,
        language: null,
        labels: ["good first issue"],
        created_at: "2026-11-01T00:00:00Z",
        updated_at: updatedAt,
        assigned: false,
      };
      await db.sql`
        select * from public.store_candidate_issues(
          ${[a.repo]}::text[], ${db.sql.json([issue])}, ${owner}, 'system:recommendations-build')`;
      return state(a);
    };
    expect(await refresh("2026-11-20T10:00:00Z")).toBe("closed");
    expect(await refresh("2026-11-20T10:00:01Z")).toBe("open");
    // The search superseded the verdict: a rerun of the old delivery is stale now.
    expect(await apply(a, "2026-11-20T10:00:00Z", false)).toEqual([
      { outcome: "stale", candidates_closed: 0 },
    ]);
  });

  it("writes as a named system actor only, and nothing for an installation that does not list the repository", async () => {
    const a = await arrange();
    expect(await sqlState(apply(a, "2026-11-20T10:00:00Z", false, { actor: "user:x" }))).toBe(
      "22023",
    );
    const b = await arrange();
    const crossed = { ...a, repositoryId: b.repositoryId };
    expect(await apply(crossed, "2026-11-20T10:00:00Z", false)).toEqual([
      { outcome: "unrelated", candidates_closed: 0 },
    ]);
    expect([await state(a), await state(b)]).toEqual(["open", "open"]);
  });
});
