/**
 * Errors the audit raises. Each says what to do, carries a stable `code` for
 * callers to branch on (e.g. NonRetriableError for permanent ones), and never
 * contains user input or GitHub data: messages end up in logs and run history.
 */

/** Permanent: a login GitHub would never issue; retrying cannot help. */
export class InvalidGitHubLoginError extends Error {
  readonly code = "invalid_github_login";
  override readonly name = "InvalidGitHubLoginError";

  constructor(length: number) {
    super(
      `[audit] invalid GitHub login (length ${length}): expected 1-39 letters, digits or single ` +
        "inner hyphens; pass the login GitHub reported for the account, not free text",
    );
  }
}

/** Permanent: GitHub answered `user: null` (no such login, or it names an organization). */
export class GitHubUserNotFoundError extends Error {
  readonly code = "github_user_not_found";
  override readonly name = "GitHubUserNotFoundError";

  constructor() {
    super("[audit] GitHub user not found: the login was renamed, deleted, or is an organization");
  }
}

/** GitHub's answer did not have the shape AUDIT_QUERY asks for (schema drift or a proxy in the way). */
export class AuditResponseShapeError extends Error {
  readonly code = "audit_response_shape";
  override readonly name = "AuditResponseShapeError";

  constructor(details: string, options?: ErrorOptions) {
    super(
      `[audit] GitHub's answer to AUDIT_QUERY has an unexpected shape; check the query against the schema:\n${details}`,
      options,
    );
  }
}
