import { cron } from "inngest";
import type { Logger } from "pino";
import type { RpcClient } from "../../db/rpc/rpc-client.ts";
import { checkForwardedData, createForwardedEvent } from "../../webhooks/forwarded-events.ts";
import type { AppInngest } from "../client.ts";
import { permanentErrorsEndRuns } from "../permanent-rpc.ts";

export const FORWARDER_ACTOR = "system:forward-webhook-deliveries";
export const FORWARDER_CRON = "* * * * *";
/**
 * Deliveries younger than this may still be in their intake's hands: the write (up to 9 s,
 * GITHUB_WEBHOOK_WRITE_TIMEOUT_MS) then the send (5 s). An overlap would only resend the same id.
 */
export const FORWARD_MIN_AGE_SECONDS = 15;
export const FORWARD_BATCH_SIZE = 100;
/** 10 × 100 a minute drains a backlog after an outage without one endless run. */
export const FORWARD_MAX_BATCHES = 10;
/** A claimed row is this run's until then; a run that died frees its rows when it ends. */
export const FORWARD_LEASE_SECONDS = 300;

export interface ForwardWebhookDeliveriesDeps {
  rpc: RpcClient;
  logger: Logger;
}

export interface ForwardResult {
  forwarded: number;
  failed: number;
}

/**
 * The outbox relay: every minute, sends the events of deliveries whose intake could not
 * reach Inngest, under the same event ids (`github-delivery:<id>`), then marks them.
 * A retry reuses the memoized claim and resends the same ids, a no-op at Inngest; a
 * dashboard rerun claims afresh and finds only what is still pending; marking is idempotent.
 */
export function createForwardWebhookDeliveries(
  inngest: AppInngest,
  deps: ForwardWebhookDeliveriesDeps,
) {
  const rpc = permanentErrorsEndRuns(deps.rpc);

  return inngest.createFunction(
    {
      id: "forward-webhook-deliveries",
      triggers: [cron(FORWARDER_CRON)],
      retries: 4,
      // A tick while the previous run still forwards would only wait on its leases.
      singleton: { mode: "skip" },
    },
    async ({ step, runId }): Promise<ForwardResult> => {
      const result: ForwardResult = { forwarded: 0, failed: 0 };
      for (let batch = 1; batch <= FORWARD_MAX_BATCHES; batch++) {
        const claimed = await step.run(`claim-deliveries-${batch}`, async () => {
          const rows = await rpc.call("claim_webhook_forwards", {
            p_limit: FORWARD_BATCH_SIZE,
            p_min_age_seconds: FORWARD_MIN_AGE_SECONDS,
            p_lease_seconds: FORWARD_LEASE_SECONDS,
            p_actor: FORWARDER_ACTOR,
          });
          return rows.map((row) => ({
            deliveryId: row.delivery_id,
            checked: checkForwardedData(row.forward_event, row.forward_data, row.delivery_id),
          }));
        });
        if (claimed.length === 0) break;

        const sendable = claimed.flatMap(({ deliveryId, checked }) =>
          checked.ok ? [{ deliveryId, checked }] : [],
        );
        const unsendable = claimed.filter(({ checked }) => !checked.ok);
        if (unsendable.length > 0) {
          // Recorded data the event's schema refuses now would fail every send of the batch.
          deps.logger.error(
            { runId, deliveryIds: unsendable.map((c) => c.deliveryId) },
            "[webhooks] recorded event data no longer fits its schema; marked failed",
          );
          await step.run(`fail-unsendable-${batch}`, () =>
            Promise.all(
              unsendable.map(({ deliveryId }) =>
                rpc.call("mark_webhook_delivery_failed", {
                  p_delivery_id: deliveryId,
                  p_error: "event_schema_mismatch",
                  p_actor: FORWARDER_ACTOR,
                }),
              ),
            ),
          );
        }
        if (sendable.length > 0) {
          await step.sendEvent(
            `forward-deliveries-${batch}`,
            sendable.map(({ checked }) => createForwardedEvent(checked)),
          );
          await step.run(`mark-forwarded-${batch}`, () =>
            rpc.call("mark_webhook_deliveries_forwarded", {
              p_delivery_ids: sendable.map((s) => s.deliveryId),
              p_actor: FORWARDER_ACTOR,
            }),
          );
        }
        result.forwarded += sendable.length;
        result.failed += unsendable.length;
        if (claimed.length < FORWARD_BATCH_SIZE) break;
      }
      if (result.forwarded + result.failed > 0) {
        deps.logger.info({ runId, ...result }, "[webhooks] pending deliveries forwarded");
      }
      return result;
    },
  );
}
