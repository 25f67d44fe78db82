import { retryAtRateLimitReset } from "../retry-at-rate-limit.ts";
import type { RpcClient } from "../../db/rpc/rpc-client.ts";
import type { GitHubInstallationSource } from "../../github/github-app.ts";
import { GitHubRequestError, InstallationUnavailableError } from "../../github/github-errors.ts";

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

export type MemberSync =
  | { status: "synced"; members: number }
  | { status: "unrelated" }
  | {
      status: "skipped";
      reason: "github_app_not_configured" | "installation_unavailable" | "members_not_permitted";
    };

/**
 * Replaces the installation's membership with the organisation's members as GitHub lists
 * them now, inside one step (the token never leaves it). Without the Members permission
 * GitHub answers 403: skipped, since members still arrive from `organization` webhooks.
 */
export async function syncMembers(
  deps: { rpc: RpcClient; github: GitHubInstallationSource | null },
  installationId: number,
  org: string,
  deliveryId: string,
): Promise<MemberSync> {
  if (!deps.github) return { status: "skipped", reason: "github_app_not_configured" };
  let members;
  try {
    members = await deps.github.listOrganizationMembers(installationId, org);
  } catch (err) {
    if (err instanceof InstallationUnavailableError) {
      return { status: "skipped", reason: "installation_unavailable" };
    }
    if (err instanceof GitHubRequestError && (err.status === 403 || err.status === 404)) {
      return { status: "skipped", reason: "members_not_permitted" };
    }
    retryAtRateLimitReset(err, `[installations] GitHub rate limit for ${installationId}`);
    throw err;
  }
  const [row] = await deps.rpc.call("sync_installation_members", {
    p_installation_id: installationId,
    p_member_ids: members,
    p_delivery_id: deliveryId,
    p_actor: INSTALLATIONS_ACTOR,
  });
  return row?.status === "synced"
    ? { status: "synced", members: row.members ?? 0 }
    : { status: "unrelated" };
}
