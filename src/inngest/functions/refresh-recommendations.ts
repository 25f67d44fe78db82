import { cron } from "inngest";
import type { AppInngest } from "../client.ts";
import { recommendationsBuildRequested } from "../events.ts";
import { permanentErrorsEndRuns } from "../permanent-rpc.ts";
import { integerUpTo, type SweepDeps } from "./expire-recommendations.ts";

/** Users per page by default: one step reads them, one step.sendEvent asks for their builds. */
export const REFRESH_PAGE = 1000;

/** 200 steps at most per run (Inngest allows 1,000); past 100,000 users, split the run. */
export const REFRESH_MAX_PAGES = 100;

export interface RefreshRecommendationsDeps extends SweepDeps {
  /** Users per page, 1..REFRESH_PAGE (the RPC's limit); REFRESH_PAGE when absent. */
  refreshPageSize?: number;
}

/**
 * Daily at 06:00 UTC: asks for a recommendations build (recommendations/build.requested)
 * for every user who reaches an active installation: open rows still ranked get a new
 * 7-day expiry, and expired or released ones are replaced by other candidates (they never
 * come back: recommendation_candidates marks them dropped), from the shared cache (one
 * refresh per installation, however many of its users build). Fans out with
 * step.sendEvent, a page at a time, never inngest.send in a step; the event id is per user
 * per UTC day, so a retry or a rerun the same day sends nothing Inngest has not already
 * dropped.
 */
export function createRefreshRecommendations(
  inngest: AppInngest,
  deps: RefreshRecommendationsDeps,
) {
  const rpc = permanentErrorsEndRuns(deps.rpc);
  const pageSize = integerUpTo(
    deps.refreshPageSize ?? REFRESH_PAGE,
    REFRESH_PAGE,
    "[recommendations] refreshPageSize",
  );
  return inngest.createFunction(
    {
      id: "refresh-recommendations",
      triggers: [cron("0 6 * * *")],
      singleton: { mode: "skip" },
      retries: 3,
    },
    async ({ step }) => {
      const day = await step.run("read-clock", () =>
        (deps.now?.() ?? new Date()).toISOString().slice(0, 10),
      );
      let requested = 0;
      let after: string | null = null;
      for (let page = 1; page <= REFRESH_MAX_PAGES; page++) {
        const cursor: string | null = after;
        const users: string[] = await step.run(`find-users-${page}`, async (): Promise<string[]> =>
          (
            await rpc.call("recommendation_refresh_users", {
              p_after: cursor,
              p_limit: pageSize,
            })
          ).map((row) => row.user_id),
        );
        if (users.length === 0) break;
        await step.sendEvent(
          `request-builds-${page}`,
          users.map((userId) =>
            recommendationsBuildRequested.create(
              { userId },
              { id: `recommendations-refresh:${userId}:${day}` },
            ),
          ),
        );
        requested += users.length;
        after = users.at(-1)!;
        if (users.length < pageSize) break;
      }
      return { day, requested };
    },
  );
}
