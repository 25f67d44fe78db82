/** What GitHub says about the pull request, reduced to what the verdict needs. */
export interface PullRequestFacts {
  /** `base.repo`: the repository the pull request would merge into. */
  repositoryId: number;
  repositoryFullName: string;
  authorId: number;
  authorLogin: string;
  title: string;
  body: string | null;
}

export interface CompletionExpectations {
  /** From github_installation_repositories; null compares the full name instead. */
  repositoryId: number | null;
  repoFullName: string;
  githubId: number | null;
  githubLogin: string | null;
  issueNumber: number;
  issueUrl: string;
}

export type Verdict =
  | { status: "accepted"; closesIssue: boolean }
  | { status: "refused"; reason: "wrong_repository" | "not_author" | "no_reference" };

const CLOSING = "(?:close[sd]?|fix(?:e[sd])?|resolve[sd]?)";

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * The pull request must be in the issue's repository, by the user, and mention the issue
 * (`#<n>`, `owner/repo#<n>` or the issue URL, in the title or body). A closing keyword is
 * reported, not required. Ids win over names: logins and repository names can change hands.
 */
export function judgePullRequest(pr: PullRequestFacts, expect: CompletionExpectations): Verdict {
  const sameRepository =
    expect.repositoryId !== null
      ? pr.repositoryId === expect.repositoryId
      : pr.repositoryFullName.toLowerCase() === expect.repoFullName.toLowerCase();
  if (!sameRepository) return { status: "refused", reason: "wrong_repository" };

  const byUser =
    expect.githubId !== null
      ? pr.authorId === expect.githubId
      : expect.githubLogin !== null &&
        pr.authorLogin.toLowerCase() === expect.githubLogin.toLowerCase();
  if (!byUser) return { status: "refused", reason: "not_author" };

  const n = expect.issueNumber;
  const reference = new RegExp(
    `(?:(?<![\\w/#])|(?<![\\w.-])${escape(expect.repoFullName)})#${n}(?!\\d)|${escape(expect.issueUrl)}(?![\\d/])`,
    "i",
  );
  const text = `${pr.title}\n${pr.body ?? ""}`;
  if (!reference.test(text)) return { status: "refused", reason: "no_reference" };
  const closing = new RegExp(
    `\\b${CLOSING}:?\\s+(?:${escape(expect.repoFullName)}#${n}|#${n}|${escape(expect.issueUrl)})(?![\\d/])`,
    "i",
  );
  return { status: "accepted", closesIssue: closing.test(text) };
}
