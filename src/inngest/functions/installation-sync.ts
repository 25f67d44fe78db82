import { retryAtRateLimitReset } from "../retry-at-rate-limit.ts";
import type { RpcClient } from "../../db/rpc/rpc-client.ts";
import type { GitHubInstallationSource } from "../../github/github-app.ts";
import { InstallationUnavailableError } from "../../github/github-errors.ts";

export const INSTALLATIONS_ACTOR = "system:github-installations";

export type RepositorySync =
  | { status: "synced"; repositories: number }
  | { status: "unknown_installation" }
  | { status: "skipped"; reason: "github_app_not_configured" | "installation_unavailable" };

/**
 * Replaces the installation's repository list with what GitHub lists now, inside one step
 * (the installation token never leaves it). A full re-read is correct whatever order
 * added/removed deliveries arrive in, and idempotent under redelivery and rerun.
 */
export async function syncRepositories(
  deps: { rpc: RpcClient; github: GitHubInstallationSource | null },
  installationId: number,
  deliveryId: string,
): Promise<RepositorySync> {
  if (!deps.github) return { status: "skipped", reason: "github_app_not_configured" };
  let repositories;
  try {
    repositories = await deps.github.listInstallationRepositories(installationId);
  } catch (err) {
    // Deleted or suspended meanwhile: its own webhook records that; nothing to retry here.
    if (err instanceof InstallationUnavailableError) {
      return { status: "skipped", reason: "installation_unavailable" };
    }
    retryAtRateLimitReset(err, `[installations] GitHub rate limit for ${installationId}`);
    throw err;
  }
  const [row] = await deps.rpc.call("sync_installation_repositories", {
    p_installation_id: installationId,
    p_repositories: repositories,
    p_delivery_id: deliveryId,
    p_actor: INSTALLATIONS_ACTOR,
  });
  return row
    ? { status: "synced", repositories: row.repositories }
    : { status: "unknown_installation" };
}
