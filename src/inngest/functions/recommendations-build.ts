import type { Logger } from "pino";
import type { RpcClient } from "../../db/rpc/rpc-client.ts";
import type { GitHubCandidateSource } from "../../recommendations/fetch-candidates.ts";
import { rankCandidates } from "../../recommendations/rank.ts";
import {
  CANDIDATES_FRESH_SECONDS,
  refreshCandidates,
  type CandidateRefresh,
} from "../../recommendations/refresh-candidates.ts";
import type { AppInngest } from "../client.ts";
import { auditCompleted, recommendationsBuildRequested } from "../events.ts";
import { permanentErrorsEndRuns } from "../permanent-rpc.ts";
import { loadRankingInput } from "../../recommendations/ranking-input.ts";

export const RECOMMENDATIONS_ACTOR = "system:recommendations-build";
export const RECOMMENDATION_TTL_DAYS = 7;
const DAY_MS = 86_400_000;

/**
 * Both triggers name the user and nothing else (one build spans every installation the user
 * reaches), so no per-installation key can be built: keyed on a missing field, every build
 * would share one bucket. The per-installation bound is the refresh lease
 * (claim_candidate_refresh): one run searches an installation's stale repositories, in
 * sequence, and every other run reads the cache. README "Per-installation bound".
 */
export const RECOMMENDATIONS_USER_KEY = '"user:" + event.data.userId';

export interface RecommendationsBuildDeps {
  rpc: RpcClient;
  /** null when no GitHub App is configured: recommendations are built from the cache as it is. */
  github: GitHubCandidateSource | null;
  logger: Logger;
}

export interface RecommendationsBuildResult {
  userId: string;
  refreshes: CandidateRefresh[];
  candidates: number;
  recommended: number;
  inserted: number;
  refreshed: number;
}

/**
 * A user's recommendations after each completed audit (their level may have changed) and on
 * demand: resolve the user's installations and repositories, refresh stale candidates from
 * GitHub, rank (pure), upsert. Retries and reruns converge: the upsert is unique per
 * (user, issue) and leaves rows the user acted on untouched.
 */
export function createRecommendationsBuild(inngest: AppInngest, deps: RecommendationsBuildDeps) {
  const rpc = permanentErrorsEndRuns(deps.rpc);
  return inngest.createFunction(
    {
      id: "recommendations-build",
      triggers: [auditCompleted, recommendationsBuildRequested],
      // Transient GitHub/database faults are retried; permanent ones end the run at once.
      retries: 4,
      // One build per user at a time: two would rank the same cache and write the same rows.
      concurrency: [{ key: RECOMMENDATIONS_USER_KEY, limit: 1 }],
    },
    async ({ event, step, runId }): Promise<RecommendationsBuildResult> => {
      const { userId } = event.data;
      const stale = await step.run("resolve-repositories", async () => {
        const rows = await rpc.call("recommendation_build_context", { p_user_id: userId });
        const freshSince = Date.now() - CANDIDATES_FRESH_SECONDS * 1000;
        const byInstallation = new Map<number, string[]>();
        for (const row of rows) {
          if (row.fetched_at && row.fetched_at.getTime() > freshSince) continue;
          const list = byInstallation.get(row.installation_id) ?? [];
          list.push(row.repo_full_name);
          byInstallation.set(row.installation_id, list);
        }
        return [...byInstallation].map(([installationId, repositories]) => ({
          installationId,
          repositories,
        }));
      });

      const refreshes: CandidateRefresh[] = [];
      for (const { installationId, repositories } of stale) {
        // The installation token is minted inside this step and never leaves it.
        refreshes.push(
          await step.run(`refresh-candidates-${installationId}`, () =>
            refreshCandidates(
              { rpc, github: deps.github, actor: RECOMMENDATIONS_ACTOR },
              installationId,
              repositories,
              runId,
            ),
          ),
        );
      }

      const input = await step.run("load-candidates", () => loadRankingInput(rpc, userId));
      const now = new Date(input.now);
      const ranked = rankCandidates(
        input.candidates.map((c) => ({
          ...c,
          createdAt: new Date(c.createdAt),
          updatedAt: new Date(c.updatedAt),
        })),
        input.user,
        { now },
      );

      const written =
        ranked.length === 0
          ? { inserted: 0, refreshed: 0 }
          : await step.run("upsert-recommendations", async () => {
              const [row] = await rpc.call("upsert_recommendations", {
                p_user_id: userId,
                p_items: ranked.map((r) => ({ candidate_issue_id: r.id, rank_score: r.score })),
                p_expires_at: new Date(now.getTime() + RECOMMENDATION_TTL_DAYS * DAY_MS),
                p_actor: RECOMMENDATIONS_ACTOR,
              });
              return { inserted: row?.inserted ?? 0, refreshed: row?.refreshed ?? 0 };
            });
      deps.logger.info(
        { runId, userId, candidates: input.candidates.length, recommended: ranked.length },
        "[recommendations] built",
      );
      return {
        userId,
        refreshes,
        candidates: input.candidates.length,
        recommended: ranked.length,
        ...written,
      };
    },
  );
}
