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
  const { github } = deps;
  if (!github) return { status: "skipped", reason: "github_app_not_configured" };
  const listed = await askGitHub(installationId, () =>
    github.listInstallationRepositories(installationId),
  );
  if ("skipped" in listed) return { status: "skipped", reason: listed.skipped };
  const repositories = listed.value;
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
  const { github } = deps;
  if (!github) return { status: "skipped", reason: "github_app_not_configured" };
  const listed = await askGitHub(
    installationId,
    () => github.listOrganizationMembers(installationId, org),
    "members_not_permitted",
  );
  if ("skipped" in listed) return { status: "skipped", reason: listed.skipped };
  const members = listed.value;
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

/**
 * One GitHub call for an installation, inside the step that mints its token. Deleted or
 * suspended meanwhile: skipped (its own webhook records that). A 403/404 refusal is skipped
 * as `refusedAs` when given (a permission the App was not granted); a rate limit retries at
 * its reset; anything else throws for Inngest to retry.
 */
async function askGitHub<T, R extends string = never>(
  installationId: number,
  call: () => Promise<T>,
  refusedAs?: R,
): Promise<{ value: T } | { skipped: "installation_unavailable" | R }> {
  try {
    return { value: await call() };
  } catch (err) {
    if (err instanceof InstallationUnavailableError) return { skipped: "installation_unavailable" };
    if (refusedAs && err instanceof GitHubRequestError && [403, 404].includes(err.status)) {
      return { skipped: refusedAs };
    }
    retryAtRateLimitReset(err, `[installations] GitHub rate limit for ${installationId}`);
    throw err;
  }
}
