import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { asRole, sqlState } from "../support/as-role.ts";
import { useTestDatabase } from "../support/pg.ts";

const db = useTestDatabase();
const ACTOR = "system:recommendations-build";

let repoSeq = 0;
const repo = () => `cache-org/repo-${++repoSeq}`;

function claim(owner: string, repos: string[], freshSeconds = 1800) {
  return db.sql<{ repo_full_name: string }[]>`
    select * from public.claim_candidate_refresh(
      81, ${repos}::text[], ${freshSeconds}, 300, ${owner}, ${ACTOR})`;
}

function store(owner: string, repos: string[], issues: object[]) {
  return db.sql<{ stored: number; closed: number }[]>`
    select * from public.store_candidate_issues(${repos}::text[], ${db.sql.json(issues as never)}, ${owner}, ${ACTOR})`;
}

const issueIn = (repoName: string, id: number) => ({
  github_issue_id: id,
  repo_full_name: repoName,
  number: id % 1000,
  title: "t",
  html_url: `https://github.com/${repoName}/issues/${id % 1000}`,
  language: null,
  labels: ["good first issue"],
  created_at: "2026-11-01T00:00:00Z",
  updated_at: "2026-11-20T00:00:00Z",
  assigned: false,
});

describe("the candidate cache's refresh lease", () => {
  it("hands a stale repository to one run: another gets nothing, a retry of the holder gets it back", async () => {
    const r = repo();
    const [a, b] = [randomUUID(), randomUUID()];
    expect(await claim(a, [r])).toEqual([{ repo_full_name: r }]);
    expect(await claim(b, [r])).toEqual([]);
    expect(await claim(a, [r])).toEqual([{ repo_full_name: r }]);
  });

  it("stores only for the lease holder, then the repository is fresh for everyone until the window passes", async () => {
    const r = repo();
    const [a, b] = [randomUUID(), randomUUID()];
    await claim(a, [r]);
    expect(await store(b, [r], [issueIn(r, 7_100_001)])).toEqual([{ stored: 0, closed: 0 }]);
    expect(await store(a, [r], [issueIn(r, 7_100_001)])).toEqual([{ stored: 1, closed: 0 }]);
    expect(await claim(b, [r])).toEqual([]);
    expect(await claim(b, [r], 0)).toEqual([{ repo_full_name: r }]);
    // GitHub no longer lists the issue: it leaves the pool.
    expect(await store(b, [r], [])).toEqual([{ stored: 0, closed: 1 }]);
    const [row] = await db.sql`
      select state, updated_by from public.candidate_issues where github_issue_id = 7100001`;
    expect(row).toEqual({ state: "closed", updated_by: ACTOR });
  });

  it("is refused to anon and authenticated, and so is the table", async () => {
    const codes: Record<string, string | null> = {};
    for (const role of ["anon", "authenticated"] as const) {
      codes[`${role} claim`] = await asRole(db.sql, role, {}, (tx) =>
        sqlState(
          tx`select * from public.claim_candidate_refresh(1, '{a/b}', 0, 60, 'x', ${ACTOR})`,
        ),
      );
      codes[`${role} table`] = await asRole(db.sql, role, {}, (tx) =>
        sqlState(tx`select * from public.candidate_repositories`),
      );
    }
    expect(codes).toEqual({
      "anon claim": "42501",
      "anon table": "42501",
      "authenticated claim": "42501",
      "authenticated table": "42501",
    });
  });
});
