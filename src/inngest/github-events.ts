import { eventType } from "inngest";
import { z } from "zod";

const positiveId = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);
/** X-GitHub-Delivery: a GUID; a redelivery carries the same one. */
const deliveryId = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[A-Za-z0-9-]+$/);

const installationOnly = z.object({ deliveryId, installationId: positiveId }).strict();

/**
 * Events forwarded from GitHub webhooks. They carry identifiers and the few public
 * fields a function needs, never the payload (it holds personal data). Each is sent
 * with event id `github-delivery:<deliveryId>`, so a redelivery starts nothing twice.
 */
export const githubInstallationCreated = eventType("github/installation.created", {
  schema: z
    .object({
      deliveryId,
      installationId: positiveId,
      accountId: positiveId,
      accountLogin: z.string().min(1).max(100),
      accountType: z.enum(["User", "Organization", "Enterprise"]),
      /** The GitHub user who installed the App (the webhook's sender). */
      senderId: positiveId,
    })
    .strict(),
});
export const githubInstallationDeleted = eventType("github/installation.deleted", {
  schema: installationOnly,
});
export const githubInstallationSuspended = eventType("github/installation.suspended", {
  schema: installationOnly,
});
export const githubInstallationUnsuspended = eventType("github/installation.unsuspended", {
  schema: installationOnly,
});
export const githubInstallationPermissionsAccepted = eventType(
  "github/installation.permissions-accepted",
  { schema: installationOnly },
);
/** installation_repositories added or removed: the function re-reads the list from GitHub. */
export const githubInstallationRepositoriesChanged = eventType(
  "github/installation-repositories.changed",
  { schema: installationOnly },
);

/**
 * `issues` deliveries that may change whether an issue is a recommendation candidate. The
 * intake reads the issue's state, assignees and labels from the payload and forwards only
 * the verdict (`eligible`: open, unassigned, with a newcomer label) and the issue's
 * updated_at, which orders deliveries that arrive out of order.
 */
const issueFields = {
  deliveryId,
  installationId: positiveId,
  repositoryId: positiveId,
  issueId: positiveId,
  issueNumber: z.number().int().positive().max(2_147_483_647),
  issueUpdatedAt: z.iso.datetime({ offset: true }),
  eligible: z.boolean(),
};
const issueOnly = z.object(issueFields).strict();
export const githubIssueClosed = eventType("github/issue.closed", { schema: issueOnly });
/** `assigneeId`: the GitHub user just assigned; their own open recommendation stays. */
export const githubIssueAssigned = eventType("github/issue.assigned", {
  schema: z.object({ ...issueFields, assigneeId: positiveId }).strict(),
});
export const githubIssueUnlabeled = eventType("github/issue.unlabeled", { schema: issueOnly });
export const githubIssueDeleted = eventType("github/issue.deleted", { schema: issueOnly });
/** The issue left the repository (the new one is found by the next search). */
export const githubIssueTransferred = eventType("github/issue.transferred", {
  schema: issueOnly,
});
export const githubIssueReopened = eventType("github/issue.reopened", { schema: issueOnly });
export const githubIssueUnassigned = eventType("github/issue.unassigned", { schema: issueOnly });
export const githubIssueLabeled = eventType("github/issue.labeled", { schema: issueOnly });
/** Every `issues` event: issue-freshness's triggers, and what the intake may forward. */
export const GITHUB_ISSUE_EVENTS = [
  githubIssueClosed,
  githubIssueAssigned,
  githubIssueUnlabeled,
  githubIssueDeleted,
  githubIssueTransferred,
  githubIssueReopened,
  githubIssueUnassigned,
  githubIssueLabeled,
] as const;

export function forwardedEventId(deliveryId: string): string {
  return `github-delivery:${deliveryId}`;
}

/**
 * `organization` member_added / member_removed for an organisation the App is installed on:
 * who reaches the installation's repositories besides its account and installer. The
 * member's GitHub id only; the order of deliveries is the intake's receipt time.
 */
const memberOnly = z
  .object({ deliveryId, installationId: positiveId, memberId: positiveId })
  .strict();
export const githubOrganizationMemberAdded = eventType("github/organization-member.added", {
  schema: memberOnly,
});
export const githubOrganizationMemberRemoved = eventType("github/organization-member.removed", {
  schema: memberOnly,
});
