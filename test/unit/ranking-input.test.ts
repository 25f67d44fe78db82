import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { createRpcClient } from "../../src/db/rpc/rpc-client.ts";
import { loadRankingInput, rankInput } from "../../src/recommendations/ranking-input.ts";

const USER_ID = randomUUID();

function candidate(id: number, repo: string, language: string | null) {
  return {
    candidate_issue_id: id,
    repo_full_name: repo,
    number: id,
    title: `Issue ${id}`,
    labels: ["good first issue"],
    language,
    issue_created_at: new Date("2026-11-20T00:00:00Z"),
    issue_updated_at: new Date("2026-11-23T00:00:00Z"),
    assigned: false,
    claimed_by_other: false,
    dropped: false,
  };
}

/** A real RPC client over a fake transport: rows are still checked against the contract. */
function rpcWith(languages: string[], candidates: ReturnType<typeof candidate>[]) {
  const rows: Record<string, unknown[]> = {
    get_profile: [
      {
        github_login: "Octo-Ada",
        level: 1,
        xp: 150,
        audit_status: "completed",
        audit_reason: null,
        audit_at: new Date("2026-11-22T00:00:00Z"),
        languages,
      },
    ],
    recommendation_candidates: candidates,
  };
  return createRpcClient({
    kind: "sql",
    call: (name) => Promise.resolve(rows[name] ?? []),
    close: () => Promise.resolve(),
  });
}

describe("loadRankingInput", () => {
  it("takes the known languages from the audit, with those of the user's own candidate repos", async () => {
    const rpc = rpcWith(
      ["Rust", "Go"],
      [
        candidate(1, "octo-ada/tool", "Python"),
        candidate(2, "acme/api", "TypeScript"),
        candidate(3, "octo-ada/site", null),
      ],
    );
    const input = await loadRankingInput(rpc, USER_ID);
    expect(input.user).toEqual({
      level: 1,
      githubLogin: "Octo-Ada",
      knownLanguages: ["Go", "Python", "Rust"],
      ownRepositories: [],
      droppedIssueIds: [],
    });
  });

  it("ranks the issue in an audited language first when the user owns no candidate repo", async () => {
    const rpc = rpcWith(
      ["Go"],
      [candidate(1, "acme/web", "TypeScript"), candidate(2, "acme/cli", "Go")],
    );
    const input = await loadRankingInput(rpc, USER_ID);
    expect(input.user.knownLanguages).toEqual(["Go"]);
    expect(rankInput(input).map((r) => r.id)).toEqual([2, 1]);
  });

  it("has no known languages for a user never audited and owning no candidate repo", async () => {
    const input = await loadRankingInput(rpcWith([], [candidate(1, "acme/web", "Go")]), USER_ID);
    expect(input.user.knownLanguages).toEqual([]);
  });
});
