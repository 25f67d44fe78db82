import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { createRpcClient } from "../../src/db/rpc/rpc-client.ts";
import { createSqlTransport } from "../../src/db/rpc/sql-transport.ts";
import { createSql } from "../../src/db/sql-client.ts";
import type { GitHubCandidateSource } from "../../src/recommendations/fetch-candidates.ts";
import { refreshCandidates } from "../../src/recommendations/refresh-candidates.ts";
import { useTestDatabase } from "../support/pg.ts";

const db = useTestDatabase();
const ACTOR = "system:recommendations-build";

/** A GitHub that answers slowly and counts every search, per installation. */
function countingGitHub() {
  const searches = new Map<number, number>();
  let inFlight = 0;
  let maxInFlight = 0;
  const github: GitHubCandidateSource = {
    async fetchCandidateIssues({ installationId, repositories }) {
      searches.set(installationId, (searches.get(installationId) ?? 0) + 1);
      maxInFlight = Math.max(maxInFlight, ++inFlight);
      await sleep(50);
      inFlight--;
      return repositories.map((repo, n) => ({
        github_issue_id: 9_100_000 + installationId * 100 + n,
        repo_full_name: repo,
        number: n + 1,
        title: "t",
        html_url: `https://github.com/${repo}/issues/${n + 1}`,
        language: null,
        labels: ["good first issue"],
        created_at: "2026-11-01T00:00:00Z",
        updated_at: "2026-11-20T00:00:00Z",
        assigned: false,
      }));
    },
  };
  return { github, searches, maxInFlight: () => maxInFlight };
}

describe("the per-installation bound of recommendations-build (the refresh lease)", () => {
  it("lets one of many racing builds per installation search GitHub; the others read the cache", async () => {
    const rpc = createRpcClient(
      createSqlTransport(createSql(db.url, { max: 8, role: "service_role" })),
    );
    const { github, searches, maxInFlight } = countingGitHub();
    const installations = [9101, 9102];
    const repos = (i: number) => [`bound-${i}/a`, `bound-${i}/b`, `bound-${i}/c`];
    // 12 builds of 12 users, 6 per installation, all refreshing at once (distinct run ids).
    const pendingWhenDone: number[] = [];
    const results = await Promise.all(
      Array.from({ length: 12 }, async (_, n) => {
        const installationId = installations[n % 2]!;
        const result = await refreshCandidates(
          { rpc, github, actor: ACTOR },
          installationId,
          repos(installationId),
          `run-${randomUUID()}`,
        );
        const pending = await rpc.call("pending_candidate_refreshes", {
          p_repositories: repos(installationId),
          p_fresh_seconds: 1800,
        });
        pendingWhenDone.push(pending.length);
        return result;
      }),
    );
    // No run returned before its installation's candidates were stored.
    expect(pendingWhenDone).toEqual(Array.from({ length: 12 }, () => 0));
    expect(Object.fromEntries(searches)).toEqual({ 9101: 1, 9102: 1 });
    expect(results.filter((r) => r.status === "refreshed")).toHaveLength(2);
    expect(results.filter((r) => r.status === "fresh")).toHaveLength(10);
    // Never more than one search per installation in flight: here two installations.
    expect(maxInFlight()).toBeLessThanOrEqual(2);
    // The runs that did not search waited for the one that did: every run finds the cache full.
    const [cached] = await db.sql<{ n: number }[]>`
      select count(*)::int as n from public.candidate_issues
       where repo_full_name like 'bound-%' and state = 'open'`;
    expect(cached!.n).toBe(6);
    await rpc.close();
  });

  it("ranks what the cache holds once the wait runs out, when the run holding the lease died", async () => {
    const rpc = createRpcClient(
      createSqlTransport(createSql(db.url, { max: 2, role: "service_role" })),
    );
    const { github, searches } = countingGitHub();
    const repos = ["lapsed-9103/a", "lapsed-9103/b"];
    try {
      // A run leased both repositories, then died before storing anything.
      const leased = await rpc.call("claim_candidate_refresh", {
        p_installation_id: 9103,
        p_repositories: repos,
        p_fresh_seconds: 1800,
        p_lease_seconds: 300,
        p_lease_owner: "run-that-died",
        p_actor: ACTOR,
      });
      expect(leased).toHaveLength(2);
      const result = await refreshCandidates(
        { rpc, github, actor: ACTOR, waitMs: 300 },
        9103,
        repos,
        `run-${randomUUID()}`,
      );
      // It neither searched (the lease is not its own) nor waited forever.
      expect(result).toEqual({ installationId: 9103, status: "fresh" });
      expect(searches.size).toBe(0);
      const pending = await rpc.call("pending_candidate_refreshes", {
        p_repositories: repos,
        p_fresh_seconds: 1800,
      });
      expect(pending).toHaveLength(2);
    } finally {
      await rpc.close();
    }
  });
});
