import { RetryAfterError } from "inngest";
import { GitHubRateLimitError } from "../github/github-errors.ts";

/**
 * A GitHub rate limit is retried at GitHub's reset time (RetryAfterError), not by
 * Inngest's backoff; `message` names the subsystem and what was limited.
 */
export function retryAtRateLimitReset(err: unknown, message: string): void {
  if (err instanceof GitHubRateLimitError) throw new RetryAfterError(message, err.resetAt);
}
