import { cron } from "inngest";
import type { AppInngest } from "../client.ts";
import { claimExpiring } from "../events.ts";
import { permanentErrorsEndRuns } from "../permanent-rpc.ts";
import {
  SWEEP_ACTOR,
  readSweepBounds,
  sweepInBatches,
  type SweepDeps,
} from "./expire-recommendations.ts";

/**
 * Every 10 minutes: warns each claim once at day 10 (recommendation/claim.expiring), then
 * releases claims idle past their 14-day deadline, so a stuck claim frees the user's slot
 * and the recommendation. Warnings are sent before they are marked, under an id per claim,
 * so a retry or rerun never loses one and Inngest drops a second send.
 */
export function createReleaseIdleClaims(inngest: AppInngest, deps: SweepDeps) {
  const rpc = permanentErrorsEndRuns(deps.rpc);
  const bounds = readSweepBounds(deps);
  return inngest.createFunction(
    {
      id: "release-idle-claims",
      triggers: [cron("*/10 * * * *")],
      singleton: { mode: "skip" },
      retries: 3,
    },
    async ({ step }) => {
      const now = await step.run("read-clock", () => (deps.now?.() ?? new Date()).toISOString());
      const due = await step.run("find-claims-to-warn", async () =>
        (await rpc.call("claims_due_warning", { p_now: new Date(now), p_limit: bounds.batch })).map(
          (row) => ({
            recommendationId: row.recommendation_id,
            userId: row.user_id,
            claimedAt: row.claimed_at.toISOString(),
            claimExpiresAt: row.claim_expires_at.toISOString(),
          }),
        ),
      );
      if (due.length > 0) {
        await step.sendEvent(
          "warn-expiring-claims",
          due.map((claim) =>
            claimExpiring.create(
              {
                userId: claim.userId,
                recommendationId: claim.recommendationId,
                claimExpiresAt: claim.claimExpiresAt,
              },
              { id: `claim-expiring:${claim.recommendationId}:${Date.parse(claim.claimedAt)}` },
            ),
          ),
        );
        await step.run("mark-warned", () =>
          rpc.call("mark_claims_warned", {
            p_recommendation_ids: due.map((claim) => claim.recommendationId),
            p_actor: SWEEP_ACTOR,
          }),
        );
      }
      const { total: released, more } = await sweepInBatches(
        (id, fn) => step.run(id, fn),
        "release-batch",
        bounds,
        async () => {
          const [row] = await rpc.call("release_idle_claims", {
            p_now: new Date(now),
            p_limit: bounds.batch,
            p_actor: SWEEP_ACTOR,
          });
          return row?.released ?? 0;
        },
      );
      return { warned: due.length, released, more };
    },
  );
}
