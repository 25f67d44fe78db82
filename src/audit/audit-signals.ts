import { z } from "zod";
import { AuditResponseShapeError, GitHubUserNotFoundError } from "./audit-errors.ts";

const count = z.number().int().nonnegative();
const searchCount = z.object({ issueCount: count });
// GitHub's DateTime is "ISO-8601 UTC"; offsets are accepted in case that loosens.
const dateTime = z.iso.datetime({ offset: true });

/**
 * The `data` of a response to AUDIT_QUERY. Nullability mirrors GitHub's schema:
 * `user`, `rateLimit`, the repository list, its items and `primaryLanguage` are
 * nullable there, everything else is not.
 */
export const auditResponseDataSchema = z.object({
  user: z
    .object({
      createdAt: dateTime,
      followers: z.object({ totalCount: count }),
      contributionsCollection: z.object({
        contributionCalendar: z.object({ totalContributions: count }),
      }),
      repositories: z.object({
        nodes: z
          .array(
            z
              .object({ primaryLanguage: z.object({ name: z.string().min(1) }).nullable() })
              .nullable(),
          )
          .nullable(),
      }),
    })
    .nullable(),
  mergedPrs: searchCount,
  mergedPrsExternal: searchCount,
  closedIssues: searchCount,
  rateLimit: z.object({ cost: count, remaining: count, resetAt: dateTime }).nullable(),
});

export type AuditResponseData = z.infer<typeof auditResponseDataSchema>;

/** Non-secret, derived numbers: safe to return from a step and to store. */
export interface AuditSignals {
  accountAgeDays: number;
  mergedPrs: number;
  mergedPrsExternal: number;
  closedIssues: number;
  distinctLanguages: number;
  yearlyContributions: number;
  followers: number;
}

/** The numbers plus derived names, equally safe to return from a step and to store. */
export interface AuditFindings extends AuditSignals {
  /** Primary languages of the user's own repositories, sorted: ranking prefers them. */
  languages: string[];
}

const DAY_MS = 86_400_000;

export function parseAuditSignals(data: unknown, now: Date): AuditFindings {
  if (Number.isNaN(now.getTime())) throw new TypeError("[audit] now must be a valid Date");
  // Checked before the full parse: it is the specific diagnosis, whatever else came back.
  if (typeof data === "object" && data !== null && "user" in data && data.user === null) {
    throw new GitHubUserNotFoundError();
  }
  const parsed = auditResponseDataSchema.safeParse(data);
  if (!parsed.success)
    throw new AuditResponseShapeError(z.prettifyError(parsed.error), { cause: parsed.error });
  const { user, mergedPrs, mergedPrsExternal, closedIssues } = parsed.data;
  if (user === null) throw new GitHubUserNotFoundError();

  const languages = new Set<string>();
  for (const repository of user.repositories.nodes ?? []) {
    if (repository?.primaryLanguage) languages.add(repository.primaryLanguage.name);
  }
  return {
    languages: [...languages].sort(),
    // Floored to whole days, and never negative when clocks disagree.
    accountAgeDays: Math.max(0, Math.floor((now.getTime() - Date.parse(user.createdAt)) / DAY_MS)),
    mergedPrs: mergedPrs.issueCount,
    mergedPrsExternal: mergedPrsExternal.issueCount,
    closedIssues: closedIssues.issueCount,
    distinctLanguages: languages.size,
    yearlyContributions: user.contributionsCollection.contributionCalendar.totalContributions,
    followers: user.followers.totalCount,
  };
}
