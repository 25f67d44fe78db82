import { z } from "zod";
import { parsePullRequestUrl } from "../completions/parse-pull-request-url.ts";
import type { RpcClient } from "../db/rpc/rpc-client.ts";
import { ActionError, defineAction } from "../http/actions/index.ts";
import type { AppInngest } from "../inngest/client.ts";
import { completionRequested } from "../inngest/events.ts";

const input = z
  .object({
    recommendationId: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
    pullRequestUrl: z
      .string()
      .max(300)
      .refine((url) => parsePullRequestUrl(url) !== undefined, {
        message: "must be https://github.com/<owner>/<repo>/pull/<number>",
      }),
  })
  .strict();

/**
 * Records a completion request for the caller's claimed recommendation and queues its
 * verification; GitHub is asked at run time (verify-completion), never here. A person's
 * act like claiming, so automation keys may not complete work either.
 */
export function completeRecommendation(deps: {
  rpc: RpcClient;
  inngest: Pick<AppInngest, "send">;
}) {
  return defineAction({
    input,
    humanOnly: true,
    successStatus: 202,
    async run({ session, logger }, { recommendationId, pullRequestUrl }) {
      const pr = parsePullRequestUrl(pullRequestUrl)!;
      const [row] = await deps.rpc.call("request_completion", {
        p_rec_id: recommendationId,
        p_user_id: session.userId,
        p_pr_owner: pr.owner,
        p_pr_repo: pr.repo,
        p_pr_number: pr.number,
      });
      const { completion_id: completionId, status, requests } = row!;
      // This pull request already completed it: a retried request, nothing to verify.
      if (status === "accepted") return { recommendationId, status: "completed" as const };

      const event = completionRequested.create(
        { userId: session.userId, recommendationId, completionId },
        // A retry of this request re-sends this id (Inngest drops the duplicate); asking
        // again after a refusal bumps `requests`, so the new request is verified anew.
        { id: `completion-requested:${completionId}:${requests}` },
      );
      try {
        await deps.inngest.send(event);
      } catch (err) {
        logger.error({ err, completionId }, "[actions] completion verification not queued");
        throw new ActionError(
          503,
          "verification_not_queued",
          "the verification could not be queued; retry shortly",
        );
      }
      return { recommendationId, status: "verifying" as const };
    },
  });
}
