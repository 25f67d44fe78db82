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

export function forwardedEventId(deliveryId: string): string {
  return `github-delivery:${deliveryId}`;
}
