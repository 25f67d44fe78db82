import { cron } from "inngest";
import type { RpcClient } from "../../db/rpc/rpc-client.ts";
import type { AppInngest } from "../client.ts";
import { permanentErrorsEndRuns } from "../permanent-rpc.ts";

export const SWEEP_ACTOR = "system:recommendation-sweeps";
export const SWEEP_BATCH = 500;
/** 10 × 500 per run: a backlog drains over a few runs instead of one endless one. */
export const SWEEP_MAX_BATCHES = 10;

/** Inngest's step.run, as a sweep uses it. */
type RunStep = (id: string, fn: () => Promise<number>) => Promise<number>;

/**
 * Runs `sweepBatch` as steps `<name>-1`, `<name>-2`, … until a batch comes back short of
 * SWEEP_BATCH or SWEEP_MAX_BATCHES ran; returns the rows changed in all.
 */
export async function sweepInBatches(
  run: RunStep,
  name: string,
  sweepBatch: () => Promise<number>,
): Promise<number> {
  let total = 0;
  for (let batch = 1; batch <= SWEEP_MAX_BATCHES; batch++) {
    const count = await run(`${name}-${batch}`, sweepBatch);
    total += count;
    if (count < SWEEP_BATCH) break;
  }
  return total;
}

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
      const expired = await sweepInBatches(
        (id, fn) => step.run(id, fn),
        "expire-batch",
        async () => {
          const [row] = await rpc.call("expire_recommendations", {
            p_now: new Date(now),
            p_limit: SWEEP_BATCH,
            p_actor: SWEEP_ACTOR,
          });
          return row?.expired ?? 0;
        },
      );
      return { expired };
    },
  );
}
