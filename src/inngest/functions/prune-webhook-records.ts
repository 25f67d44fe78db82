import { cron } from "inngest";
import type { AppInngest } from "../client.ts";
import { permanentErrorsEndRuns } from "../permanent-rpc.ts";
import { SWEEP_BATCH, SWEEP_MAX_BATCHES, type SweepDeps } from "./expire-recommendations.ts";

export const RETENTION_ACTOR = "system:webhook-retention";
/** GitHub redelivers only the past 3 days; a month leaves room for operators to look back. */
export const WEBHOOK_RETENTION_DAYS = 30;
const DAY_MS = 86_400_000;

/**
 * Daily: forwarded and ignored webhook deliveries, and issue verdicts, older than
 * WEBHOOK_RETENTION_DAYS are deleted (prune_webhook_records). Pending and failed deliveries
 * are never pruned. Bounded like the other sweeps: a backlog drains over a few runs.
 */
export function createPruneWebhookRecords(inngest: AppInngest, deps: SweepDeps) {
  const rpc = permanentErrorsEndRuns(deps.rpc);
  return inngest.createFunction(
    {
      id: "prune-webhook-records",
      triggers: [cron("17 3 * * *")],
      singleton: { mode: "skip" },
      retries: 3,
    },
    async ({ step }) => {
      // One cut-off for the whole run, memoized, so a retry prunes up to the same instant.
      const before = await step.run("read-clock", () =>
        new Date(
          (deps.now?.() ?? new Date()).getTime() - WEBHOOK_RETENTION_DAYS * DAY_MS,
        ).toISOString(),
      );
      let deliveries = 0;
      let issueStates = 0;
      for (let batch = 1; batch <= SWEEP_MAX_BATCHES; batch++) {
        const pruned = await step.run(`prune-batch-${batch}`, async () => {
          const [row] = await rpc.call("prune_webhook_records", {
            p_before: new Date(before),
            p_limit: SWEEP_BATCH,
            p_actor: RETENTION_ACTOR,
          });
          return row ?? { deliveries: 0, issue_states: 0 };
        });
        deliveries += pruned.deliveries;
        issueStates += pruned.issue_states;
        // Done once neither table had a full batch left.
        if (pruned.deliveries < SWEEP_BATCH && pruned.issue_states < SWEEP_BATCH) break;
      }
      return { before, deliveries, issueStates };
    },
  );
}
