import { setTimeout } from "node:timers/promises";
import { retryAtRateLimitReset } from "../inngest/retry-at-rate-limit.ts";
import type { RpcClient } from "../db/rpc/rpc-client.ts";
import { InstallationUnavailableError } from "../github/github-errors.ts";
import type { GitHubCandidateSource } from "./fetch-candidates.ts";

/** Candidates younger than this are served from the cache: users of one installation share a search. */
export const CANDIDATES_FRESH_SECONDS = 30 * 60;
/** How long a refresh may hold its repositories before another run may take them over. */
export const REFRESH_LEASE_SECONDS = 5 * 60;
/** How long a build waits for another run's refresh of its repositories before ranking anyway. */
export const REFRESH_WAIT_MS = 15_000;
const REFRESH_POLL_MS = 100;

export type CandidateRefresh =
  | {
      installationId: number;
      status: "refreshed";
      repositories: number;
      stored: number;
      closed: number;
    }
  | { installationId: number; status: "fresh" }
  | {
      installationId: number;
      status: "skipped";
      reason: "github_app_not_configured" | "installation_unavailable";
    };

/**
 * Refreshes the installation's stale repositories, inside one step: lease them (a run
 * racing for another user of the installation gets none, and waits up to REFRESH_WAIT_MS
 * for that run to store them before it reads the cache), search
 * GitHub with an installation token minted here, store what it found. `leaseOwner` is
 * the run id, so a retry of the step takes its own lease back.
 */
export async function refreshCandidates(
  deps: {
    rpc: RpcClient;
    github: GitHubCandidateSource | null;
    actor: string;
    /** REFRESH_WAIT_MS unless a test shortens it. */
    waitMs?: number;
  },
  installationId: number,
  repositories: string[],
  leaseOwner: string,
): Promise<CandidateRefresh> {
  const { rpc, github, actor } = deps;
  if (!github) return { installationId, status: "skipped", reason: "github_app_not_configured" };
  const leased = await rpc.call("claim_candidate_refresh", {
    p_installation_id: installationId,
    p_repositories: repositories,
    p_fresh_seconds: CANDIDATES_FRESH_SECONDS,
    p_lease_seconds: REFRESH_LEASE_SECONDS,
    p_lease_owner: leaseOwner,
    p_actor: actor,
  });
  const names = leased.map((r) => r.repo_full_name);
  const leasedByOthers = repositories.filter((r) => !names.includes(r));
  const refreshed =
    names.length === 0
      ? null
      : await refreshLeased({ rpc, github, actor }, installationId, names, leaseOwner);
  // Another user's run is fetching the rest: rank what it stores, not an empty cache.
  if (leasedByOthers.length > 0) {
    await waitForRefreshes(rpc, leasedByOthers, deps.waitMs ?? REFRESH_WAIT_MS);
  }
  return refreshed ?? { installationId, status: "fresh" };
}

async function refreshLeased(
  deps: { rpc: RpcClient; github: GitHubCandidateSource; actor: string },
  installationId: number,
  names: string[],
  leaseOwner: string,
): Promise<CandidateRefresh> {
  let issues;
  try {
    issues = await deps.github.fetchCandidateIssues({ installationId, repositories: names });
  } catch (err) {
    // Deleted or suspended meanwhile: its webhook records that; the cache is read as it is.
    if (err instanceof InstallationUnavailableError) {
      return { installationId, status: "skipped", reason: "installation_unavailable" };
    }
    retryAtRateLimitReset(
      err,
      `[recommendations] GitHub rate limit for installation ${installationId}`,
    );
    throw err;
  }
  const [row] = await deps.rpc.call("store_candidate_issues", {
    p_repositories: names,
    p_issues: issues,
    p_lease_owner: leaseOwner,
    p_actor: deps.actor,
  });
  return {
    installationId,
    status: "refreshed",
    repositories: names.length,
    stored: row?.stored ?? 0,
    closed: row?.closed ?? 0,
  };
}

/** Polls until the repositories are fresh, at most `waitMs` (a lapsed holder's lease outlives it). */
async function waitForRefreshes(
  rpc: RpcClient,
  repositories: string[],
  waitMs: number,
): Promise<void> {
  const deadline = Date.now() + waitMs;
  while (Date.now() < deadline) {
    const pending = await rpc.call("pending_candidate_refreshes", {
      p_repositories: repositories,
      p_fresh_seconds: CANDIDATES_FRESH_SECONDS,
    });
    if (pending.length === 0) return;
    await setTimeout(REFRESH_POLL_MS);
  }
}
