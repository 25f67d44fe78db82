import type { Logger } from "pino";
import type { RpcClient } from "../../db/rpc/rpc-client.ts";
import type { GitHubCandidateSource } from "../../recommendations/fetch-candidates.ts";
import {
  refreshCandidates,
  type CandidateRefresh,
} from "../../recommendations/refresh-candidates.ts";
import { staleRepositories } from "../../recommendations/stale-repositories.ts";
import { writeRecommendations } from "../../recommendations/write-recommendations.ts";
import type { AppInngest } from "../client.ts";
import { auditCompleted, recommendationsBuildRequested } from "../events.ts";
import { permanentErrorsEndRuns } from "../permanent-rpc.ts";
import { loadRankingInput, rankInput } from "../../recommendations/ranking-input.ts";

export const RECOMMENDATIONS_ACTOR = "system:recommendations-build";

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
/** Build steps executing at once across all users. */
export const RECOMMENDATIONS_BUILD_LIMIT = 20;

export function createRecommendationsBuild(inngest: AppInngest, deps: RecommendationsBuildDeps) {
  const rpc = permanentErrorsEndRuns(deps.rpc);
  return inngest.createFunction(
    {
      id: "recommendations-build",
      triggers: [auditCompleted, recommendationsBuildRequested],
      // Transient GitHub/database faults are retried; permanent ones end the run at once.
      retries: 4,
      // At most one of a user's build steps executes at a time (limit 1 bounds steps, not
      // runs: two builds may interleave between steps); overlapping builds converge because
      // the upsert is unique per (user, issue). And at most RECOMMENDATIONS_BUILD_LIMIT steps
      // in all, so the daily fan-out (refresh-recommendations) queues instead of flooding Postgres.
      concurrency: [
        { key: RECOMMENDATIONS_USER_KEY, limit: 1 },
        { limit: RECOMMENDATIONS_BUILD_LIMIT },
      ],
    },
    async ({ event, step, runId }): Promise<RecommendationsBuildResult> => {
      const { userId } = event.data;
      const stale = await step.run("resolve-repositories", () => staleRepositories(rpc, userId));

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
      const ranked = rankInput(input);
      const written =
        ranked.length === 0
          ? { inserted: 0, refreshed: 0 }
          : await step.run("upsert-recommendations", () =>
              writeRecommendations(rpc, {
                userId,
                ranked,
                now: new Date(input.now),
                actor: RECOMMENDATIONS_ACTOR,
              }),
            );
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
