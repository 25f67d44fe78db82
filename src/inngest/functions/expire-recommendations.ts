import { cron } from "inngest";
import type { RpcClient } from "../../db/rpc/rpc-client.ts";
import type { AppInngest } from "../client.ts";
import { permanentErrorsEndRuns } from "../permanent-rpc.ts";

export const SWEEP_ACTOR = "system:recommendation-sweeps";
export const SWEEP_BATCH = 500;
/** 10 × 500 per run: a backlog drains over a few runs instead of one endless one. */
export const SWEEP_MAX_BATCHES = 10;

export interface SweepDeps {
  rpc: RpcClient;
  /** The scheduler's clock; tests move it. */
  now?: () => Date;
}

/** Every 10 minutes: open recommendations past their 7-day expiry become expired. */
export function createExpireRecommendations(inngest: AppInngest, deps: SweepDeps) {
  const rpc = permanentErrorsEndRuns(deps.rpc);
  return inngest.createFunction(
    {
      id: "expire-recommendations",
      triggers: [cron("*/10 * * * *")],
      // One sweep at a time; a second would only skip the rows the first holds.
      singleton: { mode: "skip" },
      retries: 3,
    },
    async ({ step }) => {
      // One clock for the whole run, memoized, so a retry sweeps up to the same instant.
      const now = await step.run("read-clock", () => (deps.now?.() ?? new Date()).toISOString());
      let expired = 0;
      for (let batch = 1; batch <= SWEEP_MAX_BATCHES; batch++) {
        const count = await step.run(`expire-batch-${batch}`, async () => {
          const [row] = await rpc.call("expire_recommendations", {
            p_now: new Date(now),
            p_limit: SWEEP_BATCH,
            p_actor: SWEEP_ACTOR,
          });
          return row?.expired ?? 0;
        });
        expired += count;
        if (count < SWEEP_BATCH) break;
      }
      return { expired };
    },
  );
}
