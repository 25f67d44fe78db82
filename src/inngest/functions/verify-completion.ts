import { retryAtRateLimitReset } from "../retry-at-rate-limit.ts";
import type { Logger } from "pino";
import { judgePullRequest } from "../../completions/judge-pull-request.ts";
import type { RpcRow } from "../../db/rpc/contract.ts";
import type { RpcClient } from "../../db/rpc/rpc-client.ts";
import type { GitHubPullRequestSource } from "../../github/get-pull-request.ts";
import { InstallationUnavailableError } from "../../github/github-errors.ts";
import type { AppInngest } from "../client.ts";
import { completionRequested } from "../events.ts";
import { permanentErrorsEndRuns } from "../permanent-rpc.ts";

export const VERIFY_COMPLETION_ACTOR = "system:verify-completion";

export interface VerifyCompletionDeps {
  rpc: RpcClient;
  /** null when no GitHub App is configured: nothing can be verified, so nothing is accepted. */
  github: GitHubPullRequestSource | null;
  logger: Logger;
}

type Refusal = NonNullable<RpcRow<"record_completion_verdict">["reason"]>;
type Checked =
  { status: "accepted"; closesIssue: boolean } | { status: "refused"; reason: Refusal };

/**
 * recommendation/completion.requested: fetch the pull request with an installation token
 * minted at run time and record the verdict. Only an accepted verdict completes the
 * recommendation; a refused one can be rerun (or requested again) once the PR is fixed.
 */
export function createVerifyCompletion(inngest: AppInngest, deps: VerifyCompletionDeps) {
  const rpc = permanentErrorsEndRuns(deps.rpc);
  return inngest.createFunction(
    {
      id: "verify-completion",
      triggers: [completionRequested],
      // 5xx, network and database faults are retried; a 404 is a verdict, not a fault.
      retries: 4,
      // At most one step per completion executes at a time (runs may still interleave between
      // steps); a racing rerun is safe because record_completion_verdict locks the row and
      // never changes an accepted verdict.
      concurrency: [{ key: "event.data.completionId", limit: 1 }],
    },
    async ({ event, step }) => {
      const { completionId } = event.data;
      const context = await step.run("load-completion", () =>
        rpc.call("completion_context", { p_completion_id: completionId }).then(([row]) => row!),
      );
      // The event names the completion; the user and recommendation must agree with its row.
      if (
        context.user_id !== event.data.userId ||
        context.recommendation_id !== event.data.recommendationId
      ) {
        deps.logger.warn({ completionId }, "[completions] event does not match its completion");
        return { completionId, status: "ignored" as const, reason: "mismatched_event" };
      }
      if (context.completion_status === "accepted") {
        return { completionId, status: "accepted" as const, reason: null, changed: false };
      }

      const checked = await step.run("verify-pull-request", () => verify(deps, context));
      const verdict = await step.run("record-verdict", () =>
        rpc
          .call("record_completion_verdict", {
            p_completion_id: completionId,
            p_status: checked.status,
            p_reason: checked.status === "refused" ? checked.reason : null,
            p_actor: VERIFY_COMPLETION_ACTOR,
          })
          .then(([row]) => row!),
      );
      deps.logger.info(
        { completionId, status: verdict.status, reason: verdict.reason },
        "[completions] verdict recorded",
      );
      return {
        completionId,
        status: verdict.status,
        reason: verdict.reason,
        changed: verdict.changed,
        ...(checked.status === "accepted" ? { closesIssue: checked.closesIssue } : {}),
      };
    },
  );
}

/** Runs inside one step: the token is minted and used here, and only the verdict leaves. */
async function verify(
  deps: VerifyCompletionDeps,
  context: RpcRow<"completion_context">,
): Promise<Checked> {
  const issueRepo = context.repo_full_name.toLowerCase();
  // The URL already names another repository: no token is worth minting for that.
  if (`${context.pr_owner}/${context.pr_repo}`.toLowerCase() !== issueRepo)
    return { status: "refused", reason: "wrong_repository" };
  if (context.installation_id === null || deps.github === null)
    return { status: "refused", reason: "no_installation" };

  let pr;
  try {
    pr = await deps.github.getPullRequest({
      installationId: context.installation_id,
      owner: context.pr_owner,
      repo: context.pr_repo,
      number: context.pr_number,
    });
  } catch (err) {
    if (err instanceof InstallationUnavailableError)
      return { status: "refused", reason: "no_installation" };
    retryAtRateLimitReset(
      err,
      `[completions] GitHub rate limit for installation ${context.installation_id}`,
    );
    throw err; // 5xx, network: retried by Inngest
  }
  if (pr === null) return { status: "refused", reason: "pr_not_found" };
  return judgePullRequest(pr, {
    repositoryId: context.repository_id,
    repoFullName: context.repo_full_name,
    githubId: context.github_id,
    githubLogin: context.github_login,
    issueNumber: context.issue_number,
    issueUrl: context.issue_url,
  });
}
