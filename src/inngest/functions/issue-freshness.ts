import type { Logger } from "pino";
import type { RpcClient } from "../../db/rpc/rpc-client.ts";
import type { AppInngest } from "../client.ts";
import { GITHUB_ISSUE_EVENTS } from "../github-events.ts";
import { permanentErrorsEndRuns } from "../permanent-rpc.ts";

/** The actor apply_issue_event writes as; the SQL reopens only rows it expired. */
export const ISSUE_FRESHNESS_ACTOR = "system:issue-freshness";

/**
 * Keeps the shared candidate cache fresh from `issues` webhooks. One RPC applies the
 * delivery's verdict, ordered by the issue's updated_at: an unavailable issue is closed in
 * the cache and its open recommendations expire; claims are left to their users (their own
 * pull request may have closed it; the idle-claim sweep and completion settle them).
 * Redelivery, retry and rerun converge: an older or repeated verdict writes nothing.
 */
export function createIssueFreshness(
  inngest: AppInngest,
  deps: { rpc: RpcClient; logger: Logger },
) {
  const rpc = permanentErrorsEndRuns(deps.rpc);
  return inngest.createFunction(
    {
      id: "issue-freshness",
      triggers: [...GITHUB_ISSUE_EVENTS],
      retries: 4,
      // Ordering is the SQL's (updated_at under a row lock); this only keeps one issue's
      // deliveries from queueing on that lock. issueId is required in every trigger schema.
      concurrency: [{ key: "event.data.issueId", limit: 1 }],
    },
    async ({ event, step }) => {
      const data = event.data;
      const action = event.name.slice("github/issue.".length);
      const [row] = await step.run("apply-issue-event", () =>
        rpc.call("apply_issue_event", {
          p_installation_id: data.installationId,
          p_repository_id: data.repositoryId,
          p_issue_id: data.issueId,
          p_issue_number: data.issueNumber,
          p_issue_updated_at: new Date(data.issueUpdatedAt),
          p_eligible: data.eligible,
          p_keep_github_id: "assigneeId" in data ? data.assigneeId : null,
          p_action: action,
          p_delivery_id: data.deliveryId,
          p_actor: ISSUE_FRESHNESS_ACTOR,
        }),
      );
      const result = {
        deliveryId: data.deliveryId,
        issueId: data.issueId,
        eligible: data.eligible,
        outcome: row?.outcome ?? "unrelated",
        candidatesClosed: row?.candidates_closed ?? 0,
        recommendationsExpired: row?.recommendations_expired ?? 0,
      };
      deps.logger.info(result, "[issue-freshness] applied issues delivery");
      return result;
    },
  );
}
