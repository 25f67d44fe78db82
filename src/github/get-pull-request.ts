import type { App } from "@octokit/app";
import type { Logger } from "pino";
import type { PullRequestFacts } from "../completions/judge-pull-request.ts";
import { toGitHubError } from "./to-github-error.ts";
import { GitHubRequestError } from "./github-errors.ts";

export interface PullRequestQuery {
  installationId: number;
  owner: string;
  repo: string;
  number: number;
}

export interface GitHubPullRequestSource {
  /**
   * GET /repos/{owner}/{repo}/pulls/{n} with an installation token minted here; null when
   * GitHub answers 404 (no such pull request, or a repository the installation cannot see).
   * Returns derived facts only: the token never leaves this call.
   */
  getPullRequest(query: PullRequestQuery): Promise<PullRequestFacts | null>;
}

export async function getPullRequest(
  app: App,
  { installationId, owner, repo, number }: PullRequestQuery,
  log: Logger | undefined,
): Promise<PullRequestFacts | null> {
  try {
    const octokit = await app.getInstallationOctokit(installationId);
    const { data } = await octokit.request("GET /repos/{owner}/{repo}/pulls/{pull_number}", {
      owner,
      repo,
      pull_number: number,
    });
    return {
      repositoryId: Number(data.base.repo.id),
      repositoryFullName: data.base.repo.full_name,
      authorId: Number(data.user.id),
      authorLogin: data.user.login,
      title: data.title,
      body: data.body,
    };
  } catch (error) {
    const mapped = toGitHubError(error, installationId);
    if (mapped instanceof GitHubRequestError && mapped.status === 404) return null;
    const { code, status } = mapped as { code?: unknown; status?: unknown };
    log?.warn({ installationId, code, status }, "[github] fetching a pull request failed");
    throw mapped;
  }
}
