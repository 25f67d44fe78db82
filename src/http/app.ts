import { Hono } from "hono";
import type { Logger } from "pino";
import type { RpcClient } from "../db/rpc/rpc-client.ts";
import type { SessionVerifier } from "../auth/session.ts";
import { actionsCors } from "./actions/actions-cors.ts";
import { type ActionDefinition, registerActions } from "./actions/index.ts";
import {
  type InngestEndpointOptions,
  registerInngestEndpoint,
} from "./inngest/inngest-endpoint.ts";
import { registerHealthz } from "./routes/healthz.ts";
import {
  type GitHubWebhookOptions,
  registerGitHubWebhook,
} from "./webhooks/github-webhook-endpoint.ts";

export interface HttpDeps {
  rpc: RpcClient;
  logger: Logger;
  inngest: Omit<InngestEndpointOptions, "logger">;
  verifier: SessionVerifier;
  actions: Record<string, ActionDefinition>;
  webhooks: Omit<GitHubWebhookOptions, "logger">;
  /** Browser origins allowed to call the actions (CORS); none: no CORS headers at all. */
  corsOrigins?: readonly string[];
}

export function createHttpApp(deps: HttpDeps): Hono {
  const app = new Hono();
  registerHealthz(app, deps);
  // Before the action routes, so a preflight is answered before the router's 405. Actions
  // only: Inngest and GitHub call /api/inngest and the webhook server to server.
  if (deps.corsOrigins?.length) app.use("/api/actions/*", actionsCors(deps.corsOrigins));
  registerActions(app, { verifier: deps.verifier, actions: deps.actions, logger: deps.logger });
  registerInngestEndpoint(app, { ...deps.inngest, logger: deps.logger });
  registerGitHubWebhook(app, { ...deps.webhooks, logger: deps.logger });
  app.notFound((c) => c.json({ error: "not_found" }, 404));
  app.onError((err, c) => {
    // The message may quote input; the log keeps the error (redacted by the logger), the client gets a code.
    deps.logger.error({ err, path: c.req.path }, "[http] unhandled error");
    return c.json({ error: "internal_error" }, 500);
  });
  return app;
}
