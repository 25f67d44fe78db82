import { createPrivateKey } from "node:crypto";
import { App } from "@octokit/app";
import { Octokit } from "@octokit/rest";
import type { Logger } from "pino";
import type { Env } from "../config/env.ts";
import { AUDIT_QUERY, buildAuditQueryVariables } from "../audit/audit-query.ts";
import {
  parseAuditSignals,
  type AuditFindings,
  type AuditSignals,
} from "../audit/audit-signals.ts";
import { getPullRequest, type GitHubPullRequestSource } from "./get-pull-request.ts";
import {
  fetchCandidates,
  type GitHubCandidateSource,
} from "../recommendations/fetch-candidates.ts";
import { observeTokenMints } from "./observe-token-mints.ts";
import { planRedeliveries, type HookDeliveryAttempt } from "./plan-redeliveries.ts";
import { octokitLog } from "./octokit-log.ts";
import { toGitHubError, userNotFoundData } from "./to-github-error.ts";

export interface GitHubAuditSource {
  collectAuditSignals(input: {
    installationId: number;
    login: string;
    now?: Date;
  }): Promise<AuditSignals | AuditFindings>;
}

/** A repository an installation can reach, as GitHub lists it now. */
export interface InstallationRepository {
  id: number;
  full_name: string;
  private: boolean;
}

export interface GitHubInstallationSource {
  /** Every repository the installation can reach (GET /installation/repositories, all pages). */
  listInstallationRepositories(installationId: number): Promise<InstallationRepository[]>;
  /**
   * The GitHub ids of the organisation's members (GET /orgs/{org}/members, all pages), with
   * the installation's token: needs the App's organisation Members (read) permission.
   */
  listOrganizationMembers(installationId: number, org: string): Promise<number[]>;
}

export interface RedeliverySummary {
  scanned: number;
  requested: number;
  gaveUp: number;
  /** Asked for but refused by GitHub (e.g. older than its redelivery window). */
  refused: number;
}

export interface GitHubWebhookDeliveries {
  /**
   * Reads the App's delivery log back to `since` (App JWT) and asks GitHub to redeliver
   * every guid that never succeeded. GitHub does not redeliver by itself.
   */
  redeliverFailedDeliveries(options: {
    since: Date;
    maxAttempts: number;
  }): Promise<RedeliverySummary>;
}

export type GitHubApp = GitHubAuditSource &
  GitHubInstallationSource &
  GitHubWebhookDeliveries &
  GitHubPullRequestSource &
  GitHubCandidateSource;

export interface GitHubAppOptions {
  appId: string;
  /** PEM, PKCS#1 ("BEGIN RSA PRIVATE KEY", as GitHub issues it) or PKCS#8. */
  privateKey: string;
  /** https://api.github.com, or https://HOST/api/v3 for GitHub Enterprise Server. */
  baseUrl: string;
  /** Defaults to the global fetch, looked up per call so msw (tests) can patch it later. */
  fetch?: typeof fetch;
  logger?: Logger;
  /** Called after each successful token exchange: tests and the benchmark count mints with it. */
  onTokenMint?: (installationId: number) => void;
}

/**
 * The App's side of an audit: mint an installation token, send AUDIT_QUERY once,
 * return derived numbers. The token stays inside @octokit/auth-app, which reuses it
 * from process memory only (https://github.com/octokit/auth-app.js#caching);
 * test/unit/github-app.test.ts pins one mint per installation.
 */
export function createGitHubApp(options: GitHubAppOptions): GitHubApp {
  assertPrivateKey(options.privateKey);
  const log = options.logger?.child({ component: "github" });
  const baseFetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const fetch = observeTokenMints(baseFetch, (installationId) => {
    log?.debug({ installationId }, "[github] minted an installation token");
    options.onTokenMint?.(installationId);
  });
  const app = new App({
    appId: options.appId,
    privateKey: options.privateKey,
    // A trailing slash would give `//app/installations/...` and defeat the GHES rewrite.
    Octokit: Octokit.defaults({ baseUrl: options.baseUrl.replace(/\/+$/, ""), request: { fetch } }),
    log: octokitLog(log),
  });

  return {
    async collectAuditSignals({ installationId, login, now = new Date() }) {
      if (!Number.isSafeInteger(installationId) || installationId <= 0) {
        throw new TypeError(
          "[github] installationId must be a positive integer (from the installation webhook)",
        );
      }
      // Before any request: a login GitHub would never issue costs neither a mint nor a query.
      const variables = buildAuditQueryVariables(login);
      let data: unknown;
      try {
        const octokit = await app.getInstallationOctokit(installationId);
        data = await octokit.graphql<unknown>(AUDIT_QUERY, variables);
      } catch (error) {
        data = userNotFoundData(error);
        if (data === undefined) {
          const mapped = toGitHubError(error, installationId);
          const { code, status } = mapped as { code?: unknown; status?: unknown };
          log?.warn({ installationId, code, status }, "[github] audit request failed");
          throw mapped;
        }
      }
      // `user: null` becomes GitHubUserNotFoundError here, with the rest of the checks.
      return parseAuditSignals(data, now);
    },
    async redeliverFailedDeliveries({ since, maxAttempts }) {
      const attempts: HookDeliveryAttempt[] = [];
      // Newest first: stop paging at the first attempt older than `since`.
      pages: for await (const { data } of app.octokit.paginate.iterator(
        "GET /app/hook/deliveries",
        { per_page: 100 },
      )) {
        for (const item of data) {
          if (Date.parse(item.delivered_at) < since.getTime()) break pages;
          attempts.push(item);
        }
      }
      const plan = planRedeliveries(attempts, maxAttempts);
      let refused = 0;
      for (const id of plan.deliveryIds) {
        try {
          await app.octokit.request("POST /app/hook/deliveries/{delivery_id}/attempts", {
            delivery_id: id,
          });
        } catch (error) {
          const status = (error as { status?: unknown }).status;
          // 4xx: this attempt cannot be redelivered (too old, gone); the rest still can.
          if (typeof status !== "number" || status < 400 || status >= 500 || status === 429) {
            throw toGitHubError(error, 0);
          }
          refused += 1;
          log?.warn({ deliveryId: id, status }, "[github] redelivery refused");
        }
      }
      return {
        scanned: attempts.length,
        requested: plan.deliveryIds.length - refused,
        gaveUp: plan.gaveUp.length,
        refused,
      };
    },
    async listInstallationRepositories(installationId) {
      try {
        const octokit = await app.getInstallationOctokit(installationId);
        const repositories = await octokit.paginate("GET /installation/repositories", {
          per_page: 100,
        });
        return repositories.map((r) => ({ id: r.id, full_name: r.full_name, private: r.private }));
      } catch (error) {
        const mapped = toGitHubError(error, installationId);
        const { code, status } = mapped as { code?: unknown; status?: unknown };
        log?.warn({ installationId, code, status }, "[github] listing repositories failed");
        throw mapped;
      }
    },
    async listOrganizationMembers(installationId, org) {
      try {
        const octokit = await app.getInstallationOctokit(installationId);
        const members = await octokit.paginate("GET /orgs/{org}/members", {
          org,
          per_page: 100,
        });
        return members.map((m) => m.id);
      } catch (error) {
        const mapped = toGitHubError(error, installationId);
        const { code, status } = mapped as { code?: unknown; status?: unknown };
        log?.warn({ installationId, code, status }, "[github] listing members failed");
        throw mapped;
      }
    },
    getPullRequest: (query) => getPullRequest(app, query, log),
    async fetchCandidateIssues({ installationId, repositories }) {
      try {
        const octokit = await app.getInstallationOctokit(installationId);
        return await fetchCandidates(
          (query, variables) => octokit.graphql(query, variables),
          repositories,
        );
      } catch (error) {
        const mapped = toGitHubError(error, installationId);
        const { code, status } = mapped as { code?: unknown; status?: unknown };
        log?.warn({ installationId, code, status }, "[github] candidate search failed");
        throw mapped;
      }
    },
  };
}

/** Fails at start, not at the first audit, and without echoing the key. */
function assertPrivateKey(privateKey: string): void {
  try {
    createPrivateKey(privateKey.replace(/\\n/g, "\n"));
  } catch {
    throw new Error(
      "[github] GITHUB_APP_PRIVATE_KEY is not a readable PEM private key; paste the .pem GitHub generated (\\n escapes allowed)",
    );
  }
}

export type GitHubAppEnv = Pick<Env, "GITHUB_APP_ID" | "GITHUB_APP_PRIVATE_KEY" | "GITHUB_API_URL">;

/** `null` when the App is not configured: the service starts, and audits are skipped visibly by the caller. */
export function githubAppFromEnv(
  env: GitHubAppEnv,
  deps: Pick<GitHubAppOptions, "fetch" | "logger" | "onTokenMint"> = {},
): GitHubApp | null {
  const { GITHUB_APP_ID: appId, GITHUB_APP_PRIVATE_KEY: privateKey } = env;
  if (!appId && !privateKey) return null;
  if (!appId || !privateKey) {
    throw new Error(
      "[github] GITHUB_APP_ID and GITHUB_APP_PRIVATE_KEY are set together or not at all",
    );
  }
  return createGitHubApp({ appId, privateKey, baseUrl: env.GITHUB_API_URL, ...deps });
}
