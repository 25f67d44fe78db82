import type { ApiKeyAuth } from "../api-keys/api-key-auth.ts";
import type { RpcClient } from "../db/rpc/rpc-client.ts";
import type { ActionDefinition } from "../http/actions/index.ts";
import type { AppInngest } from "../inngest/client.ts";
import { createApiKey, listApiKeys, revokeApiKey } from "./api-keys.ts";
import { bootstrapProfile } from "./bootstrap-profile.ts";
import { claimRecommendation, releaseRecommendation } from "./claim-recommendation.ts";
import { completeRecommendation } from "./complete-recommendation.ts";
import { getProfile } from "./get-profile.ts";
import { listRecommendations } from "./list-recommendations.ts";
import { requestAudit } from "./request-audit.ts";
import { trackEvent } from "./track-event.ts";

/** Every server action, by its URL name: POST /api/actions/<name>. */
export function createActions(deps: {
  rpc: RpcClient;
  inngest: AppInngest;
  apiKeys: Pick<ApiKeyAuth, "expectRevocation" | "forget">;
}): Record<string, ActionDefinition> {
  return {
    "bootstrap-profile": bootstrapProfile(deps),
    "claim-recommendation": claimRecommendation(deps),
    "release-recommendation": releaseRecommendation(deps),
    "complete-recommendation": completeRecommendation(deps),
    "get-profile": getProfile(deps),
    "list-recommendations": listRecommendations(deps),
    "track-event": trackEvent(deps),
    "request-audit": requestAudit(deps),
    "create-api-key": createApiKey(deps),
    "list-api-keys": listApiKeys(deps),
    "revoke-api-key": revokeApiKey(deps),
  };
}
