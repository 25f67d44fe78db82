import { InvalidGitHubLoginError } from "./audit-errors.ts";

/**
 * Every audit signal in one GraphQL request (a REST client needs ~7 calls; see
 * scripts/bench-audit.ts).
 * Searches are aliased fields of the same request; PRs are searched with
 * `type: ISSUE` because GitHub's SearchType has no pull-request member.
 * `first: 1` on count-only connections: GitHub's documented node limit requires
 * first/last on every connection, even when no nodes are selected.
 * contributionsCollection without from/to covers the last twelve months.
 * Anything user-derived travels as a variable, never inside this text.
 */
export const AUDIT_QUERY = /* GraphQL */ `
  query AuditSignals(
    $login: String!
    $mergedPrsQuery: String!
    $mergedPrsExternalQuery: String!
    $closedIssuesQuery: String!
  ) {
    user(login: $login) {
      createdAt
      followers(first: 1) {
        totalCount
      }
      contributionsCollection {
        contributionCalendar {
          totalContributions
        }
      }
      repositories(
        first: 100
        ownerAffiliations: [OWNER]
        orderBy: { field: PUSHED_AT, direction: DESC }
      ) {
        nodes {
          primaryLanguage {
            name
          }
        }
      }
    }
    mergedPrs: search(type: ISSUE, query: $mergedPrsQuery, first: 1) {
      issueCount
    }
    mergedPrsExternal: search(type: ISSUE, query: $mergedPrsExternalQuery, first: 1) {
      issueCount
    }
    closedIssues: search(type: ISSUE, query: $closedIssuesQuery, first: 1) {
      issueCount
    }
    rateLimit {
      cost
      remaining
      resetAt
    }
  }
`;

// A type alias, not an interface, so it is assignable to graphql clients' variable maps.
export type AuditQueryVariables = {
  login: string;
  mergedPrsQuery: string;
  mergedPrsExternalQuery: string;
  closedIssuesQuery: string;
};

/**
 * GitHub's rules for new logins. Variables stop GraphQL injection, but the login
 * is still pasted into search syntax, where a space or a qualifier would change
 * what is counted; only this pattern makes that impossible.
 */
const LOGIN_PATTERN = /^[A-Za-z0-9](?:-?[A-Za-z0-9])*$/;
const MAX_LOGIN_LENGTH = 39;

export function buildAuditQueryVariables(login: string): AuditQueryVariables {
  if (typeof login !== "string" || login.length > MAX_LOGIN_LENGTH || !LOGIN_PATTERN.test(login)) {
    throw new InvalidGitHubLoginError(typeof login === "string" ? login.length : 0);
  }
  return {
    login,
    mergedPrsQuery: `author:${login} is:pr is:merged`,
    // -user: excludes repositories the user owns, leaving work accepted by others.
    mergedPrsExternalQuery: `author:${login} is:pr is:merged -user:${login}`,
    closedIssuesQuery: `author:${login} is:issue is:closed`,
  };
}
