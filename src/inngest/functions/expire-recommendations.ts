import { cron } from "inngest";
import type { RpcClient } from "../../db/rpc/rpc-client.ts";
import type { AppInngest } from "../client.ts";
import { permanentErrorsEndRuns } from "../permanent-rpc.ts";

export const SWEEP_ACTOR = "system:recommendation-sweeps";
export const SWEEP_BATCH = 500;
/** 10 × 500 per run: a backlog drains over a few runs instead of one endless one. */
export const SWEEP_MAX_BATCHES = 10;

/** How much one sweep run changes at most: `batch` rows per step, `batches` steps. */
export interface SweepBounds {
  batch: number;
  batches: number;
}

/** Inngest's step.run, as a sweep uses it. */
type RunStep = (id: string, fn: () => Promise<number>) => Promise<number>;

/**
 * Runs `sweepBatch` as steps `<name>-1`, `<name>-2`, … until a batch comes back short of
 * `bounds.batch` or `bounds.batches` ran. Returns the rows changed in all, and `more`: the
 * run stopped at its bound on a full batch, so rows may remain for the next run.
 */
export async function sweepInBatches(
  run: RunStep,
  name: string,
  bounds: SweepBounds,
  sweepBatch: () => Promise<number>,
): Promise<{ total: number; more: boolean }> {
  let total = 0;
  for (let batch = 1; batch <= bounds.batches; batch++) {
    const count = await run(`${name}-${batch}`, sweepBatch);
    total += count;
    if (count < bounds.batch) return { total, more: false };
  }
  return { total, more: true };
}

export interface SweepDeps {
  rpc: RpcClient;
  /** The scheduler's clock; tests move it. */
  now?: () => Date;
  /**
   * Per-run bound of expire-recommendations and release-idle-claims: batch 1..SWEEP_BATCH,
   * batches 1..SWEEP_MAX_BATCHES; those maxima when absent.
   */
  sweepBounds?: SweepBounds;
}

/** The bounds a sweep runs with; refuses out-of-range ones when the function is created. */
export function readSweepBounds(deps: Pick<SweepDeps, "sweepBounds">): SweepBounds {
  const { batch = SWEEP_BATCH, batches = SWEEP_MAX_BATCHES } = deps.sweepBounds ?? {};
  return {
    batch: integerUpTo(batch, SWEEP_BATCH, "[sweeps] sweepBounds.batch"),
    batches: integerUpTo(batches, SWEEP_MAX_BATCHES, "[sweeps] sweepBounds.batches"),
  };
}

/** `value` if it is an integer in 1..max; else a RangeError naming `what`. */
export function integerUpTo(value: number, max: number, what: string): number {
  if (!Number.isInteger(value) || value < 1 || value > max)
    throw new RangeError(`${what} must be an integer in 1..${max}`);
  return value;
}

/** Every 10 minutes: open recommendations past their 7-day expiry become expired. */
export function createExpireRecommendations(inngest: AppInngest, deps: SweepDeps) {
  const rpc = permanentErrorsEndRuns(deps.rpc);
  const bounds = readSweepBounds(deps);
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
      const { total: expired, more } = await sweepInBatches(
        (id, fn) => step.run(id, fn),
        "expire-batch",
        bounds,
        async () => {
          const [row] = await rpc.call("expire_recommendations", {
            p_now: new Date(now),
            p_limit: bounds.batch,
            p_actor: SWEEP_ACTOR,
          });
          return row?.expired ?? 0;
        },
      );
      return { expired, more };
    },
  );
}
