import type { Logger } from "pino";
import type { RpcClient } from "../db/rpc/rpc-client.ts";
import type { AppInngest } from "../inngest/client.ts";
import { createForwardedEvent } from "./forwarded-events.ts";
import { mapGitHubWebhook } from "./map-github-webhook.ts";

export const WEBHOOK_ACTOR = "system:github-webhooks";

/**
 * How long the intake waits for Inngest before answering anyway. GitHub fails a delivery
 * not answered within 10 s; a delivery not sent by then stays pending for the forwarder.
 */
export const INTAKE_SEND_BUDGET_MS = 5_000;

/** A delivery whose signature was verified. */
export interface VerifiedDelivery {
  deliveryId: string;
  /** X-GitHub-Event */
  event: string;
  payload: unknown;
  /** Hex SHA-256 of the raw body: what is kept of the payload. */
  payloadSha256: string;
}

export type IntakeOutcome =
  /** Recorded, and its event reached Inngest. */
  | { status: "forwarded" }
  /** Recorded; the event did not reach Inngest yet: the scheduled forwarder sends it. */
  | { status: "pending" }
  | { status: "ignored" }
  /** This delivery id was recorded before: nothing new recorded or sent. */
  | { status: "duplicate" }
  | { status: "invalid"; fields: string[] };

export interface WebhookIntakeDeps {
  rpc: RpcClient;
  inngest: AppInngest;
  logger: Logger;
  sendBudgetMs?: number;
}

export type WebhookIntake = (delivery: VerifiedDelivery) => Promise<IntakeOutcome>;

/**
 * Records a delivery and what it forwards in one RPC (the outbox), then sends that one
 * event under the delivery's event id and marks it forwarded. A send that fails or takes
 * too long leaves the row pending; the id makes a later resend a no-op at Inngest.
 */
export function createWebhookIntake(deps: WebhookIntakeDeps): WebhookIntake {
  const budgetMs = deps.sendBudgetMs ?? INTAKE_SEND_BUDGET_MS;
  return async (delivery) => {
    const { deliveryId, event } = delivery;
    const log = deps.logger.child({ deliveryId, githubEvent: event });
    const route = mapGitHubWebhook(event, deliveryId, delivery.payload);
    if (route.kind === "invalid") return { status: "invalid", fields: route.fields };

    const [row] = await deps.rpc.call("record_webhook_delivery", {
      p_delivery_id: deliveryId,
      p_event: event,
      p_action: route.action,
      p_installation_id: route.installationId,
      p_payload_sha256: delivery.payloadSha256,
      p_forward_event: route.kind === "forward" ? route.event.name : null,
      p_forward_data: route.kind === "forward" ? route.event.data : null,
      p_actor: WEBHOOK_ACTOR,
    });
    if (row!.duplicate) {
      log.info({ status: row!.status }, "[webhooks] duplicate delivery; nothing recorded or sent");
      return { status: "duplicate" };
    }
    if (route.kind === "ignored") {
      log.info({ action: route.action }, "[webhooks] event not handled; recorded as ignored");
      return { status: "ignored" };
    }

    const forwarded = createForwardedEvent({ ok: true, ...route.event });
    try {
      await withinBudget(deps.inngest.send(forwarded), budgetMs);
    } catch (err) {
      // The error's name only: a send error can quote the Event API URL, which holds the key.
      log.warn(
        { forwardEvent: route.event.name, error: (err as Error).name },
        "[webhooks] Inngest did not take the event; the delivery stays pending for the forwarder",
      );
      return { status: "pending" };
    }
    try {
      await deps.rpc.call("mark_webhook_deliveries_forwarded", {
        p_delivery_ids: [deliveryId],
        p_actor: WEBHOOK_ACTOR,
      });
    } catch (err) {
      // Sent but not marked: the forwarder sends it again under the same id, a no-op at Inngest.
      log.warn({ error: (err as Error).name }, "[webhooks] event sent; marking it failed");
      return { status: "pending" };
    }
    log.info({ forwardEvent: route.event.name }, "[webhooks] delivery forwarded");
    return { status: "forwarded" };
  };
}

class SendBudgetExceeded extends Error {
  override name = "SendBudgetExceeded";
}

async function withinBudget<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new SendBudgetExceeded(`no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
    // A send that loses the race may still fail later; its outcome no longer matters.
    work.catch(() => undefined);
  }
}
