import type { Logger } from "pino";
import type { RpcArgs, RpcRow } from "../db/rpc/contract.ts";
import type { RpcClient } from "../db/rpc/rpc-client.ts";
import { createGroupBatcher } from "../lib/group-batcher.ts";
import type { AppInngest } from "../inngest/client.ts";
import { createForwardedEvent } from "./forwarded-events.ts";
import { mapGitHubWebhook } from "./map-github-webhook.ts";

export const WEBHOOK_ACTOR = "system:github-webhooks";
/** Largest group one transaction, send or mark takes. */
const GROUP_MAX = 100;
const MARK_LINGER_MS = 20;

/**
 * How long the intake waits for Inngest before answering anyway. GitHub fails a delivery
 * not answered within 10 s; a delivery not sent by then stays pending for the forwarder.
 */
export const INTAKE_SEND_BUDGET_MS = 5_000;

/**
 * How long the intake waits for the durable write (GITHUB_WEBHOOK_WRITE_TIMEOUT_MS): past it
 * the delivery answers 503 so the request ends inside GitHub's 10 s, and nothing is sent.
 */
export const INTAKE_WRITE_BUDGET_MS = 8_000;

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
  /** Durably recorded with its event; forwarding continues after the answer. */
  | { status: "accepted" }
  | { status: "ignored" }
  /** This delivery id was recorded before: nothing new recorded or sent. */
  | { status: "duplicate" }
  | { status: "invalid"; fields: string[] }
  /**
   * The write did not finish within the budget: nothing is sent by this request. If the row
   * commits anyway it stays pending for the forwarder, and a redelivery is a duplicate.
   */
  | { status: "write_timeout"; budgetMs: number };

export interface WebhookIntakeDeps {
  rpc: RpcClient;
  inngest: AppInngest;
  logger: Logger;
  sendBudgetMs?: number;
  writeBudgetMs?: number;
  /** How long a forwarded mark waits for a group to ride with before it is written alone. */
  markLingerMs?: number;
}

export interface WebhookIntake {
  (delivery: VerifiedDelivery): Promise<IntakeOutcome>;
  /** Resolves once every forward started so far has been sent and marked (or given up). */
  settled(): Promise<void>;
}

/**
 * Records a delivery and what it forwards in one transaction (the outbox) and answers: the
 * durable record is the commitment, so GitHub never waits on Inngest. Then, after the
 * answer, sends that one event under the delivery's event id and marks it forwarded. A send
 * that fails, a crash, or a mark that fails leaves the row pending for the scheduled
 * forwarder; the event id makes a resend a no-op at Inngest.
 *
 * The steps are group-committed (createGroupBatcher): deliveries arriving while one
 * transaction or send is in flight share the next one, and the marks of sent deliveries ride
 * in the next group's transaction. Each delivery still gets its own outcome; one bad
 * delivery in a group is retried alone.
 */
export function createWebhookIntake(deps: WebhookIntakeDeps): WebhookIntake {
  const budgetMs = deps.sendBudgetMs ?? INTAKE_SEND_BUDGET_MS;
  const writeBudgetMs = deps.writeBudgetMs ?? INTAKE_WRITE_BUDGET_MS;
  const markLingerMs = deps.markLingerMs ?? MARK_LINGER_MS;
  type Recorded = RpcRow<"record_webhook_delivery">;
  type DeliveryArgs = RpcArgs<"record_webhook_group">["p_deliveries"][number];
  // Marks ride with the next group recorded (record_webhook_group: one transaction, not
  // two); when no group comes within the linger, or the group is refused, they go alone.
  const markAlone = createGroupBatcher<string, void>(
    async (ids) => {
      await deps.rpc.call("mark_webhook_deliveries_forwarded", {
        p_delivery_ids: ids,
        p_actor: WEBHOOK_ACTOR,
      });
      return ids.map(() => undefined);
    },
    { maxItems: GROUP_MAX, maxInFlight: 2 },
  );
  type Mark = { deliveryId: string; resolve: () => void; reject: (err: unknown) => void };
  const waitingMarks: Mark[] = [];
  let markTimer: NodeJS.Timeout | undefined;
  let settling = 0;
  const takeMarks = (max: number): Mark[] => {
    const taken = waitingMarks.splice(0, max);
    if (waitingMarks.length === 0) {
      clearTimeout(markTimer);
      markTimer = undefined;
    }
    return taken;
  };
  const sendMarksAlone = (marks: Mark[]) => {
    for (const m of marks) markAlone(m.deliveryId).then(m.resolve, m.reject);
  };
  const mark = (deliveryId: string) =>
    new Promise<void>((resolve, reject) => {
      waitingMarks.push({ deliveryId, resolve, reject });
      markTimer ??= setTimeout(
        () => sendMarksAlone(takeMarks(Infinity)),
        settling > 0 ? 0 : markLingerMs,
      );
    });

  const record = createGroupBatcher<DeliveryArgs, Recorded>(
    async (deliveries, signal) => {
      const riders = takeMarks(GROUP_MAX);
      try {
        const rows = await deps.rpc.call(
          "record_webhook_group",
          {
            p_deliveries: deliveries,
            p_forwarded: riders.map((m) => m.deliveryId),
            p_actor: WEBHOOK_ACTOR,
          },
          // Every caller of the group gave up: cancel the query rather than hold a connection.
          { signal },
        );
        for (const m of riders) m.resolve();
        return rows;
      } catch (err) {
        // The riders may be what the database refused: they go alone, the group again
        // without them (and then, if it fails again, one delivery at a time).
        sendMarksAlone(riders);
        if (riders.length === 0 || signal.aborted) throw err;
        return deps.rpc.call(
          "record_webhook_group",
          { p_deliveries: deliveries, p_forwarded: [], p_actor: WEBHOOK_ACTOR },
          { signal },
        );
      }
    },
    {
      maxItems: GROUP_MAX,
      // One group at a time: larger groups, fewer commits, and p99 stays far under 50 ms.
      maxInFlight: 1,
      fallback: async (d, signal) =>
        (
          await deps.rpc.call(
            "record_webhook_delivery",
            {
              p_delivery_id: d.delivery_id,
              p_event: d.event,
              p_action: d.action,
              p_installation_id: d.installation_id,
              p_payload_sha256: d.payload_sha256,
              p_forward_event: d.forward_event,
              p_forward_data: d.forward_data,
              p_actor: WEBHOOK_ACTOR,
            },
            signal ? { signal } : {},
          )
        )[0]!,
    },
  );
  const send = createGroupBatcher<ReturnType<typeof createForwardedEvent>, void>(
    async (events) => {
      await withinBudget(deps.inngest.send(events), budgetMs);
      return events.map(() => undefined);
    },
    { maxItems: GROUP_MAX, maxInFlight: 2 },
  );

  const intake = async (delivery: VerifiedDelivery): Promise<IntakeOutcome> => {
    const { deliveryId, event } = delivery;
    // Fields, not a child logger: child() redacts its bindings eagerly, per delivery, even
    // when the level would drop every line (a tenth of the intake's CPU in bench:webhooks).
    const log = lineLogger(deps.logger, { deliveryId, githubEvent: event });
    const route = mapGitHubWebhook(event, deliveryId, delivery.payload);
    if (route.kind === "invalid") return { status: "invalid", fields: route.fields };

    // Past the budget the caller gives up: a queued delivery is dropped unwritten, a running
    // group's query is cancelled once all its callers gave up, and nothing below runs.
    const giveUp = new AbortController();
    const timer = setTimeout(
      () => giveUp.abort(new WriteBudgetExceeded(writeBudgetMs)),
      writeBudgetMs,
    );
    let row: Recorded;
    try {
      row = await record(
        {
          delivery_id: deliveryId,
          event,
          action: route.action,
          installation_id: route.installationId,
          payload_sha256: delivery.payloadSha256,
          forward_event: route.kind === "forward" ? route.event.name : null,
          forward_data: route.kind === "forward" ? route.event.data : null,
        },
        giveUp.signal,
      );
    } catch (err) {
      if (!giveUp.signal.aborted) throw err;
      return { status: "write_timeout", budgetMs: writeBudgetMs };
    } finally {
      clearTimeout(timer);
    }
    if (row.duplicate) {
      log.info({ status: row.status }, "[webhooks] duplicate delivery; nothing recorded or sent");
      return { status: "duplicate" };
    }
    if (route.kind === "ignored") {
      log.info({ action: route.action }, "[webhooks] event not handled; recorded as ignored");
      return { status: "ignored" };
    }

    track(forward(createForwardedEvent({ ok: true, ...route.event }), deliveryId, log));
    return { status: "accepted" };
  };

  async function forward(
    event: ReturnType<typeof createForwardedEvent>,
    deliveryId: string,
    log: LineLogger,
  ): Promise<void> {
    try {
      await send(event);
    } catch (err) {
      // The error's name only: a send error can quote the Event API URL, which holds the key.
      log.warn(
        { forwardEvent: event.name, error: (err as Error).name },
        "[webhooks] Inngest did not take the event; the delivery stays pending for the forwarder",
      );
      return;
    }
    try {
      await mark(deliveryId);
    } catch (err) {
      // Sent but not marked: the forwarder sends it again under the same id, a no-op at Inngest.
      log.warn({ error: (err as Error).name }, "[webhooks] event sent; marking it failed");
      return;
    }
    log.info({ forwardEvent: event.name }, "[webhooks] delivery forwarded");
  }

  const inFlight = new Set<Promise<void>>();
  function track(work: Promise<void>): void {
    inFlight.add(work);
    void work.finally(() => inFlight.delete(work));
  }

  return Object.assign(intake, {
    async settled() {
      // Nothing lingers while settling (tests, shutdown): marks are written at once.
      settling += 1;
      try {
        sendMarksAlone(takeMarks(Infinity));
        while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
      } finally {
        settling -= 1;
      }
    },
  });
}

type LineLogger = Record<"info" | "warn", (fields: object, message: string) => void>;

function lineLogger(logger: Logger, base: object): LineLogger {
  return {
    info: (fields, message) => logger.info({ ...base, ...fields }, message),
    warn: (fields, message) => logger.warn({ ...base, ...fields }, message),
  };
}

class WriteBudgetExceeded extends Error {
  override name = "WriteBudgetExceeded";
  constructor(ms: number) {
    super(`[webhooks] the delivery was not recorded within ${ms} ms`);
  }
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
