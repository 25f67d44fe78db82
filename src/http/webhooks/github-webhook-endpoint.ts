import { createHash } from "node:crypto";
import { verifyWithFallback } from "@octokit/webhooks-methods";
import type { Context, Hono } from "hono";
import type { Logger } from "pino";
import { DatabaseUnavailableError } from "../../db/rpc/errors.ts";
import type { WebhookIntake } from "../../webhooks/webhook-intake.ts";
import { decodeUtf8 } from "../actions/read-json-body.ts";
import { readBoundedBody } from "../read-bounded-body.ts";

export const GITHUB_WEBHOOK_PATH = "/api/webhooks/github";

export interface GitHubWebhookOptions {
  /** GITHUB_WEBHOOK_SECRET: a signature made with any of them is accepted (rotation). */
  secrets: readonly string[];
  maxBodyBytes: number;
  intake: WebhookIntake;
  logger: Logger;
}

/** X-GitHub-Delivery is a GUID; the event name is snake_case. */
const DELIVERY_ID = /^[A-Za-z0-9-]{1,100}$/;
const EVENT_NAME = /^[a-z_]{1,64}$/;
const SIGNATURE = /^sha256=[0-9a-f]{64}$/;

type RefusalStatus = 400 | 401 | 413 | 503;

/**
 * `POST /api/webhooks/github`: the signature is checked against the raw bytes before
 * anything is parsed; a refused delivery writes and sends nothing. Accepted deliveries
 * answer 202 once durably recorded, without calling GitHub or waiting on Inngest (the
 * intake forwards the event after the answer).
 */
export function registerGitHubWebhook(app: Hono, options: GitHubWebhookOptions): void {
  const log = options.logger.child({ component: "github-webhooks" });
  const [secret, ...additionalSecrets] = options.secrets;
  let warnedUnconfigured = false;

  const refuse = (c: Context, status: RefusalStatus, error: string, fields: object = {}) => {
    log.warn({ status, reason: error, ...fields }, "[webhooks] delivery refused");
    return c.json({ error }, status);
  };

  app.post(GITHUB_WEBHOOK_PATH, async (c) => {
    if (secret === undefined) {
      if (!warnedUnconfigured) {
        warnedUnconfigured = true;
        log.warn(
          "[webhooks] GITHUB_WEBHOOK_SECRET is not set: every delivery is refused with 503 until it is",
        );
      }
      return c.json({ error: "webhook_secret_not_configured" }, 503);
    }
    const signature = c.req.header("x-hub-signature-256");
    if (!signature) return refuse(c, 401, "signature_missing");
    const deliveryId = c.req.header("x-github-delivery") ?? "";
    const event = c.req.header("x-github-event") ?? "";
    if (!DELIVERY_ID.test(deliveryId) || !EVENT_NAME.test(event)) {
      return refuse(c, 400, "delivery_headers_invalid");
    }
    const fields = { deliveryId, githubEvent: event };

    const body = await readBoundedBody(c, options.maxBodyBytes);
    if (body.kind === "too_large") {
      return refuse(c, 413, "payload_too_large", { ...fields, maxBytes: options.maxBodyBytes });
    }
    // GitHub signs UTF-8 JSON; @octokit/webhooks-methods verifies a string, so the bytes
    // must decode exactly (fatal decoding) for the check to cover what GitHub sent.
    const text = decodeUtf8(body.bytes);
    if (!text || !SIGNATURE.test(signature)) return refuse(c, 401, "signature_invalid", fields);
    if (!(await verifyWithFallback(secret, text, signature, additionalSecrets))) {
      return refuse(c, 401, "signature_invalid", fields);
    }

    let payload: unknown;
    try {
      payload = JSON.parse(text);
    } catch {
      return refuse(c, 400, "invalid_json", fields);
    }
    const payloadSha256 = createHash("sha256").update(body.bytes).digest("hex");
    try {
      const outcome = await options.intake({ deliveryId, event, payload, payloadSha256 });
      if (outcome.status === "invalid") {
        return refuse(c, 400, "invalid_payload", { ...fields, invalidFields: outcome.fields });
      }
      if (outcome.status === "write_timeout") {
        // GitHub records a failed delivery; a redelivery is deduplicated on its id, and a row
        // that commits late stays pending for the forwarder. Nothing was sent by this request.
        log.warn(
          { ...fields, status: 503, reason: "write_timeout", budgetMs: outcome.budgetMs },
          "[webhooks] delivery not recorded within its budget; answering 503, nothing forwarded",
        );
        return c.json({ error: "write_timeout", deliveryId }, 503);
      }
      return c.json({ deliveryId, status: outcome.status }, 202);
    } catch (err) {
      if (!(err instanceof DatabaseUnavailableError)) throw err;
      log.warn({ ...fields, err }, "[webhooks] database unavailable; GitHub may redeliver");
      return c.json({ error: "database_unavailable" }, 503, { "retry-after": "5" });
    }
  });
}
