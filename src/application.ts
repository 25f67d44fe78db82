import type { Logger } from "pino";
import { INNGEST_SERVE_PATH, createFunctions } from "../inngest.config.ts";
import { createActions } from "./actions/index.ts";
import { createApiKeyAuth } from "./api-keys/api-key-auth.ts";
import type { RevocationFeed } from "./api-keys/revocation-feed.ts";
import type { SessionVerifier } from "./auth/session.ts";
import { withApiKeys } from "./auth/with-api-keys.ts";
import { type Env, inngestDevMode, inngestServeOrigin } from "./config/env.ts";
import type { RpcClient } from "./db/rpc/rpc-client.ts";
import type { GitHubApp } from "./github/github-app.ts";
import { createHttpApp } from "./http/app.ts";
import { createInngestClient } from "./inngest/client.ts";
import type { SweepBounds } from "./inngest/functions/expire-recommendations.ts";
import { createWebhookIntake } from "./webhooks/webhook-intake.ts";

export interface ApplicationDeps {
  env: Env;
  rpc: RpcClient;
  logger: Logger;
  /** Verifies user access tokens; API keys are verified here, in front of it. */
  verifier: SessionVerifier;
  /**
   * API-key revocations from every instance (LISTEN/NOTIFY, SQL transport). Absent
   * (supabase-js): API_KEY_CACHE_TTL_SECONDS bounds how long other instances accept a revoked key.
   */
  revocations?: RevocationFeed;
  /** null when no GitHub App is configured. */
  github: GitHubApp | null;
  /** The scheduled functions' clock; tests move it. */
  now?: () => Date;
  /** Users per page of the daily refresh's fan-out; 1,000 when absent. */
  refreshPageSize?: number;
  /** Per-run bound of the expiry and idle-claim sweeps; 500 rows × 10 batches when absent. */
  sweepBounds?: SweepBounds;
  /** Where events are sent (INNGEST_BASE_URL otherwise); tests point it at a fake. */
  inngestBaseUrl?: string;
}

/** Everything the process serves, built from injected dependencies (the service and the tests share it). */
export function createApplication(deps: ApplicationDeps) {
  const inngest = createInngestClient({
    env: deps.env,
    logger: deps.logger.child({ component: "inngest" }),
    ...(deps.inngestBaseUrl ? { baseUrl: deps.inngestBaseUrl } : {}),
  });
  const functions = createFunctions(inngest, {
    rpc: deps.rpc,
    github: deps.github,
    logger: deps.logger.child({ component: "inngest" }),
    ...(deps.now ? { now: deps.now } : {}),
    ...(deps.refreshPageSize !== undefined ? { refreshPageSize: deps.refreshPageSize } : {}),
    ...(deps.sweepBounds ? { sweepBounds: deps.sweepBounds } : {}),
  });
  const intake = createWebhookIntake({
    rpc: deps.rpc,
    inngest,
    logger: deps.logger.child({ component: "github-webhooks" }),
    writeBudgetMs: deps.env.GITHUB_WEBHOOK_WRITE_TIMEOUT_MS,
  });
  const apiKeys = createApiKeyAuth({
    rpc: deps.rpc,
    revocations: deps.revocations ?? null,
    cacheTtlMs: deps.env.API_KEY_CACHE_TTL_SECONDS * 1000,
    rateLimit: {
      perMinute: deps.env.API_KEY_RATE_LIMIT_PER_MINUTE,
      burst: deps.env.API_KEY_RATE_LIMIT_BURST,
    },
    logger: deps.logger.child({ component: "api-keys" }),
  });
  const http = createHttpApp({
    rpc: deps.rpc,
    logger: deps.logger,
    verifier: withApiKeys(deps.verifier, apiKeys.verifier),
    actions: createActions({ rpc: deps.rpc, inngest, apiKeys }),
    corsOrigins: deps.env.CORS_ORIGINS,
    webhooks: {
      secrets: deps.env.GITHUB_WEBHOOK_SECRET ?? [],
      maxBodyBytes: deps.env.GITHUB_WEBHOOK_MAX_BODY_BYTES,
      intake,
    },
    inngest: {
      client: inngest,
      functions,
      servePath: INNGEST_SERVE_PATH,
      signed: !inngestDevMode(deps.env),
      serveOrigin: inngestServeOrigin(deps.env),
      enableUnauthedSync: deps.env.INNGEST_ENABLE_UNAUTHED_SYNC,
      maxBodyBytes: deps.env.INNGEST_MAX_REQUEST_BYTES,
      signingKeys: [deps.env.INNGEST_SIGNING_KEY, deps.env.INNGEST_SIGNING_KEY_FALLBACK].filter(
        (key): key is string => key !== undefined,
      ),
    },
  });
  /** Forwards started by webhook intake, awaited on stop (and by tests). */
  const webhooks = { settled: () => intake.settled() };
  return { http, inngest, functions, webhooks, apiKeys };
}
