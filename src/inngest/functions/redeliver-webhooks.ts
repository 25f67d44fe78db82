import { retryAtRateLimitReset } from "../retry-at-rate-limit.ts";
import type { GitHubWebhookDeliveries } from "../../github/github-app.ts";
import type { AppInngest } from "../client.ts";

/** GitHub can redeliver the last 3 days; older attempts are not worth a request. */
const WINDOW_MS = 3 * 24 * 60 * 60 * 1000;
/** A guid that failed this often is left to a human (GitHub's log keeps it). */
export const MAX_DELIVERY_ATTEMPTS = 5;

/**
 * Every 15 minutes, asks GitHub (App JWT) to redeliver the webhook deliveries that never
 * succeeded: GitHub does not retry failed deliveries by itself. Redeliveries carry the same
 * X-GitHub-Delivery, so intake dedupes any that did arrive after all.
 */
export function createRedeliverWebhooks(
  inngest: AppInngest,
  deps: { github: GitHubWebhookDeliveries | null; now?: () => Date },
) {
  return inngest.createFunction(
    {
      id: "redeliver-webhooks",
      triggers: [{ cron: "*/15 * * * *" }],
      // One sweep at a time: two would ask twice for the same guids.
      singleton: { mode: "skip" },
      retries: 2,
    },
    async ({ step }) => {
      const github = deps.github;
      if (!github) return { status: "skipped" as const, reason: "github_app_not_configured" };
      const summary = await step.run("request-redeliveries", async () => {
        const now = deps.now?.() ?? new Date();
        try {
          return await github.redeliverFailedDeliveries({
            since: new Date(now.getTime() - WINDOW_MS),
            maxAttempts: MAX_DELIVERY_ATTEMPTS,
          });
        } catch (err) {
          retryAtRateLimitReset(err, "[webhooks] GitHub rate limit on the delivery log");
          throw err;
        }
      });
      return { status: "swept" as const, ...summary };
    },
  );
}
