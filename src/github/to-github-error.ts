import { redactValue } from "../security/find-credentials.ts";
import {
  GitHubRateLimitError,
  GitHubRequestError,
  GitHubUnavailableError,
  InstallationUnavailableError,
} from "./github-errors.ts";

/**
 * Maps what Octokit throws to our typed errors. Octokit's classes are matched by
 * shape, not `instanceof`: RequestError and GraphqlResponseError live in
 * transitive packages (@octokit/request-error, @octokit/graphql) this service
 * does not depend on directly, and a duplicated copy would defeat instanceof.
 */

type Headers = Record<string, string | number | undefined>;

/** @octokit/request-error's RequestError, whose `name` is "HttpError". */
interface HttpErrorLike {
  status: number;
  request?: { url?: string };
  /** Absent when no HTTP answer came back (DNS, reset, abort): Octokit still reports status 500. */
  response?: { headers?: Headers };
}

/** @octokit/graphql's GraphqlResponseError: HTTP 200 with an `errors` array. */
interface GraphqlErrorLike {
  errors: { type?: string; path?: unknown[] }[];
  data?: unknown;
  headers?: Headers;
}

const MINT_URL = /\/app\/installations\/\d+\/access_tokens$/;
const FALLBACK_WAIT_MS = 60_000;

function isGraphqlError(error: unknown): error is Error & GraphqlErrorLike {
  return (
    error instanceof Error &&
    error.name === "GraphqlResponseError" &&
    Array.isArray((error as Partial<GraphqlErrorLike>).errors)
  );
}

function isHttpError(error: unknown): error is Error & HttpErrorLike {
  return error instanceof Error && typeof (error as Partial<HttpErrorLike>).status === "number";
}

/**
 * `data` of a GraphQL answer whose only error is GitHub's NOT_FOUND on `user`
 * (searches still answer), so parseAuditSignals can give its own diagnosis.
 */
export function userNotFoundData(error: unknown): unknown {
  if (!isGraphqlError(error)) return undefined;
  const onlyUserMissing = error.errors.every(
    (e) => e.type === "NOT_FOUND" && e.path?.length === 1 && e.path[0] === "user",
  );
  const data = error.data as { user?: unknown } | null | undefined;
  return onlyUserMissing && data?.user === null ? data : undefined;
}

/**
 * GitHub's documented order: `retry-after` (secondary limits) wins, then
 * `x-ratelimit-remaining: 0` with `x-ratelimit-reset` (epoch seconds).
 */
export function rateLimitResetAt(headers: Headers, nowMs: number): Date | undefined {
  const retryAfter = headers["retry-after"];
  if (retryAfter !== undefined) {
    const seconds = Number(retryAfter);
    const at = Number.isFinite(seconds) ? nowMs + seconds * 1000 : Date.parse(String(retryAfter));
    if (Number.isFinite(at)) return new Date(at);
  }
  const reset = Number(headers["x-ratelimit-reset"]);
  if (String(headers["x-ratelimit-remaining"]) === "0" && Number.isFinite(reset) && reset > 0)
    return new Date(reset * 1000);
  return undefined;
}

/** A GitHubError for anything GitHub answered (or failed to); otherwise the thrown value, scrubbed. */
export function toGitHubError(error: unknown, installationId: number, nowMs = Date.now()): unknown {
  if (isGraphqlError(error)) {
    const types = [...new Set(error.errors.map((e) => e.type ?? "UNTYPED"))];
    if (types.includes("RATE_LIMITED")) {
      return new GitHubRateLimitError(
        rateLimitResetAt(error.headers ?? {}, nowMs) ?? new Date(nowMs + FALLBACK_WAIT_MS),
      );
    }
    return new GitHubRequestError(200, types);
  }
  if (isHttpError(error)) {
    const { status } = error;
    if (!error.response) return new GitHubUnavailableError(0);
    if (status === 403 || status === 429) {
      const resetAt = rateLimitResetAt(error.response.headers ?? {}, nowMs);
      if (resetAt) return new GitHubRateLimitError(resetAt);
      if (status === 429) return new GitHubRateLimitError(new Date(nowMs + FALLBACK_WAIT_MS));
    }
    const isMint = MINT_URL.test(error.request?.url ?? "");
    if (isMint && (status === 401 || status === 403 || status === 404))
      return new InstallationUnavailableError(installationId, status);
    // A 401 on the API call itself: the token (possibly cached, see github-app.ts) was
    // revoked, which GitHub does when the installation is deleted or suspended.
    // @octokit/auth-app already retried it for 5 s in case the token had not replicated yet.
    if (status === 401) return new InstallationUnavailableError(installationId, 401);
    if (status >= 500) return new GitHubUnavailableError(status);
    return new GitHubRequestError(status);
  }
  // Not from GitHub's answer (e.g. a malformed key in universal-github-app-jwt):
  // pass it on, scrubbed, with its prototype intact.
  return redactValue(error);
}
