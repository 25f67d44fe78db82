import { createHmac, randomBytes, randomUUID } from "node:crypto";
import { GITHUB_WEBHOOK_PATH } from "../../src/http/webhooks/github-webhook-endpoint.ts";
import type { RpcClient } from "../../src/db/rpc/rpc-client.ts";
import { useAuditStack } from "./audit-stack.ts";

/** A webhook secret made at run time, as GitHub's settings page would take it. */
export function newWebhookSecret(): string {
  return randomBytes(24).toString("base64url");
}

/** GitHub's X-Hub-Signature-256, computed here independently of the code under test. */
export function signBody(secret: string, body: string | Buffer): string {
  return `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
}

export interface Delivery {
  event: string;
  body: string;
  /** Signs the body with it; ignored when `signature` is given. */
  secret?: string;
  /** null: no signature header. */
  signature?: string | null;
  deliveryId?: string;
  /** Headers to leave out, e.g. x-github-delivery. */
  omit?: string[];
}

/**
 * The audit stack (real app, Postgres, msw GitHub, Inngest executor) configured with
 * webhook secrets generated here, plus a client that posts deliveries the way GitHub does.
 */
export function useWebhookStack() {
  const stack = useAuditStack();
  const { db } = stack;

  function arrangeWebhooks(
    options: {
      secrets?: string[];
      env?: Record<string, string>;
      wrapRpc?: (rpc: RpcClient) => RpcClient;
    } = {},
  ) {
    const secrets = options.secrets ?? [newWebhookSecret(), newWebhookSecret()];
    const s = stack.arrange({
      ...(options.wrapRpc ? { wrapRpc: options.wrapRpc } : {}),
      env: {
        ...(secrets.length > 0 ? { GITHUB_WEBHOOK_SECRET: secrets.join(",") } : {}),
        ...options.env,
      },
    });
    async function deliver(delivery: Delivery) {
      const deliveryId = delivery.deliveryId ?? randomUUID();
      const signature =
        delivery.signature === undefined
          ? signBody(delivery.secret ?? secrets[0]!, delivery.body)
          : delivery.signature;
      const headers: Record<string, string> = {
        "content-type": "application/json",
        "user-agent": "GitHub-Hookshot/test",
        "x-github-delivery": deliveryId,
        "x-github-event": delivery.event,
        "x-github-hook-id": "1",
        ...(signature === null ? {} : { "x-hub-signature-256": signature }),
      };
      for (const name of delivery.omit ?? []) delete headers[name];
      const res = await s.application.http.request(GITHUB_WEBHOOK_PATH, {
        method: "POST",
        headers,
        body: delivery.body,
      });
      const answer = (await res.json()) as Record<string, unknown>;
      // Forwarding continues after the answer; tests look once it has finished.
      await s.application.webhooks.settled();
      return { res, deliveryId, body: answer };
    }
    /** Every event whose name starts with github/, as Inngest stored them. */
    const forwarded = () =>
      s.executor.stored.events
        .map((e) => e.event)
        .filter((e) => e.name.startsWith("github/"))
        .map(({ name, id, data }) => ({ name, id, data }));
    return { ...s, webhookSecrets: secrets, deliver, forwarded };
  }

  async function deliveryRows(deliveryId?: string) {
    return db.sql`
      select delivery_id, event, action, installation_id, payload_sha256, status, attempts,
             forward_event, forward_data, last_error, updated_by, processed_at is not null as processed
        from public.webhook_deliveries
       where ${deliveryId === undefined ? db.sql`true` : db.sql`delivery_id = ${deliveryId}`}
       order by received_at, delivery_id`;
  }

  return { ...stack, arrangeWebhooks, deliveryRows };
}
