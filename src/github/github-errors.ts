/**
 * Errors from calling GitHub as the App. Each carries a stable `code` and only
 * derived facts (status, reset time), never the Octokit error as `cause`: a
 * RequestError keeps the whole request (URL, headers, body) and response, and
 * @octokit/request-error masks only the `authorization` header, not a response
 * body or the raw fetch failure it hangs on `cause`.
 */

const WHY_UNAVAILABLE = {
  401: "GitHub refused the App's credentials or the installation token; check GITHUB_APP_ID and GITHUB_APP_PRIVATE_KEY, or the installation was removed",
  403: "the installation is suspended",
  404: "the installation was deleted or never belonged to this App",
} as const;

/** Permanent: retrying cannot help until an `installation` webhook says otherwise. */
export class InstallationUnavailableError extends Error {
  readonly code = "github_installation_unavailable";
  override readonly name = "InstallationUnavailableError";
  readonly installationId: number;
  readonly status: 401 | 403 | 404;

  constructor(installationId: number, status: 401 | 403 | 404) {
    super(
      `[github] installation ${installationId} is unavailable (HTTP ${status}): ${WHY_UNAVAILABLE[status]}; do not retry`,
    );
    this.installationId = installationId;
    this.status = status;
  }
}

/** Transient, but only after `resetAt`: retry then (Inngest RetryAfterError), not sooner. */
export class GitHubRateLimitError extends Error {
  readonly code = "github_rate_limited";
  override readonly name = "GitHubRateLimitError";
  readonly resetAt: Date;

  constructor(resetAt: Date) {
    super(`[github] rate limited until ${resetAt.toISOString()}; retry after that time`);
    this.resetAt = resetAt;
  }
}

/** Transient: 5xx, or no HTTP answer at all (`status` 0). Retry with backoff. */
export class GitHubUnavailableError extends Error {
  readonly code = "github_unavailable";
  override readonly name = "GitHubUnavailableError";
  readonly status: number;

  constructor(status: number) {
    super(
      `[github] GitHub is unavailable (${status === 0 ? "no response" : `HTTP ${status}`}); retry with backoff`,
    );
    this.status = status;
  }
}

/**
 * Anything else GitHub refused (e.g. 403 "Resource not accessible by integration",
 * 422, a GraphQL error other than NOT_FOUND on the user or RATE_LIMITED). Treated as
 * permanent: the same request would be refused again.
 */
export class GitHubRequestError extends Error {
  readonly code = "github_request_refused";
  override readonly name = "GitHubRequestError";
  readonly status: number;
  /** GraphQL error types (`FORBIDDEN`, ...) when GitHub answered 200 with `errors`. */
  readonly graphqlTypes: readonly string[];

  constructor(status: number, graphqlTypes: readonly string[] = []) {
    const detail =
      graphqlTypes.length > 0 ? `GraphQL errors ${graphqlTypes.join(", ")}` : `HTTP ${status}`;
    super(
      `[github] GitHub refused the audit request (${detail}); check the App's permissions and AUDIT_QUERY`,
    );
    this.status = status;
    this.graphqlTypes = graphqlTypes;
  }
}

export type GitHubError =
  InstallationUnavailableError | GitHubRateLimitError | GitHubUnavailableError | GitHubRequestError;
