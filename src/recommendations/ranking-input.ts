import type { RpcClient } from "../db/rpc/rpc-client.ts";
import { rankCandidates, type RankedCandidate, type RankingUser } from "./rank.ts";

/** What ranking reads, JSON-safe so it can be a step's output. */
export interface RankingInput {
  /** The clock ranking measures freshness against: fixed here, so a replay ranks alike. */
  now: string;
  user: RankingUser;
  candidates: {
    id: number;
    repo: string;
    number: number;
    title: string;
    labels: string[];
    language: string | null;
    createdAt: string;
    updatedAt: string;
    assigned: boolean;
    claimedByOther: boolean;
  }[];
}

/**
 * The user's level and the open candidates of their installations' repositories. The
 * languages the user knows are those the latest completed audit read from their own
 * repositories, plus those of their own repositories among the candidates (ranking skips
 * those issues, but they say what the user writes).
 */
export async function loadRankingInput(rpc: RpcClient, userId: string): Promise<RankingInput> {
  const [[profile], rows] = await Promise.all([
    rpc.call("get_profile", { p_user_id: userId }),
    rpc.call("recommendation_candidates", { p_user_id: userId }),
  ]);
  const login = profile?.github_login ?? null;
  const owner = login?.toLowerCase();
  const knownLanguages = [
    ...new Set([
      ...(profile?.languages ?? []),
      ...rows.flatMap((r) =>
        r.language && r.repo_full_name.split("/")[0]!.toLowerCase() === owner ? [r.language] : [],
      ),
    ]),
  ].sort();
  return {
    now: new Date().toISOString(),
    user: {
      level: profile?.level ?? 0,
      githubLogin: login,
      knownLanguages,
      ownRepositories: [],
      droppedIssueIds: rows.filter((r) => r.dropped).map((r) => r.candidate_issue_id),
    },
    candidates: rows.map((r) => ({
      id: r.candidate_issue_id,
      repo: r.repo_full_name,
      number: r.number,
      title: r.title,
      labels: r.labels,
      language: r.language,
      createdAt: r.issue_created_at.toISOString(),
      updatedAt: r.issue_updated_at.toISOString(),
      assigned: r.assigned,
      claimedByOther: r.claimed_by_other,
    })),
  };
}

/** Ranks a loaded input (pure): the clock is the one the input was loaded with. */
export function rankInput(input: RankingInput): RankedCandidate[] {
  return rankCandidates(
    input.candidates.map((c) => ({
      ...c,
      createdAt: new Date(c.createdAt),
      updatedAt: new Date(c.updatedAt),
    })),
    input.user,
    { now: new Date(input.now) },
  );
}
