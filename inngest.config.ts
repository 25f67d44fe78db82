/**
 * Composition root for the durable side: one Inngest client, the list of
 * functions it serves, and where it serves them. Functions receive their
 * dependencies here; nothing below imports a singleton.
 */
import type { InngestFunction } from "inngest";
import type { Logger } from "pino";
import type { RpcClient } from "./src/db/rpc/rpc-client.ts";
import type { GitHubApp } from "./src/github/github-app.ts";
import type { AppInngest } from "./src/inngest/client.ts";
import { createAuditCollect } from "./src/inngest/functions/audit-collect.ts";
import { createAuditRun } from "./src/inngest/functions/audit-run.ts";
import { createDeadLetter } from "./src/inngest/functions/dead-letter.ts";
import {
  createExpireRecommendations,
  type SweepBounds,
} from "./src/inngest/functions/expire-recommendations.ts";
import { createInstallationCreated } from "./src/inngest/functions/installation-created.ts";
import { createInstallationRepositories } from "./src/inngest/functions/installation-repositories.ts";
import { createIssueFreshness } from "./src/inngest/functions/issue-freshness.ts";
import { createInstallationStatus } from "./src/inngest/functions/installation-status.ts";
import { createOrganizationMembers } from "./src/inngest/functions/organization-members.ts";
import { createPruneWebhookRecords } from "./src/inngest/functions/prune-webhook-records.ts";
import { createRedeliverWebhooks } from "./src/inngest/functions/redeliver-webhooks.ts";
import { createRefreshRecommendations } from "./src/inngest/functions/refresh-recommendations.ts";
import { createRecommendationsBuild } from "./src/inngest/functions/recommendations-build.ts";
import { createReleaseIdleClaims } from "./src/inngest/functions/release-idle-claims.ts";
import { createForwardWebhookDeliveries } from "./src/inngest/functions/forward-webhook-deliveries.ts";
import { createVerifyCompletion } from "./src/inngest/functions/verify-completion.ts";

export { INNGEST_APP_ID, createInngestClient } from "./src/inngest/client.ts";

export const INNGEST_SERVE_PATH = "/api/inngest";

export interface FunctionDeps {
  rpc: RpcClient;
  /** null when no GitHub App is configured: audits end as skipped / github_app_not_configured. */
  github: GitHubApp | null;
  logger: Logger;
  /** The schedulers' clock (sweeps); tests move it. */
  now?: () => Date;
  /** Users per page of the daily refresh's fan-out (refresh-recommendations). */
  refreshPageSize?: number;
  /** Rows per batch and batches per run of expire-recommendations and release-idle-claims. */
  sweepBounds?: SweepBounds;
}

export function createFunctions(client: AppInngest, deps: FunctionDeps): InngestFunction.Any[] {
  return [
    createAuditRun(client, deps),
    createAuditCollect(client, deps),
    createInstallationCreated(client, deps),
    createInstallationStatus(client, deps),
    createOrganizationMembers(client, deps),
    createInstallationRepositories(client, deps),
    createDeadLetter(client, deps),
    createRedeliverWebhooks(client, deps),
    createExpireRecommendations(client, deps),
    createReleaseIdleClaims(client, deps),
    createPruneWebhookRecords(client, deps),
    createRefreshRecommendations(client, deps),
    createForwardWebhookDeliveries(client, deps),
    createVerifyCompletion(client, deps),
    createRecommendationsBuild(client, deps),
    createIssueFreshness(client, deps),
  ];
}
