import { eventType, invoke } from "inngest";
import { z } from "zod";

const userId = z.uuid();
const positiveId = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);

/**
 * Every event carries identifiers only. Schemas are `.strict()`: an unknown key
 * (an `accessToken` riding along, say) is refused at send and at receipt.
 */
export const auditRun = eventType("audit/run", {
  schema: z
    .object({
      userId,
      githubLogin: z.string().min(1).max(39),
      githubId: positiveId,
      installationId: positiveId.optional(),
    })
    .strict(),
});

/**
 * audit-collect's only trigger: step.invoke from audit-run. Both fields are required, so the
 * per-installation concurrency key always names the installation the GitHub calls use.
 * `_inngest` is the metadata Inngest adds to every invocation event (source run, correlation).
 */
export const auditCollectData = z
  .object({
    installationId: positiveId,
    login: z.string().min(1).max(39),
    _inngest: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();
export const auditCollectInvoked = invoke(auditCollectData);

export const auditCompleted = eventType("audit/completed", {
  schema: z
    .object({
      userId,
      auditId: positiveId,
      level: z.number().int().min(0).max(5),
      xp: z.number().int().min(0),
    })
    .strict(),
});

/** A claim enters its last days: the user is reminded before it is released for them. */
export const claimExpiring = eventType("recommendation/claim.expiring", {
  schema: z
    .object({
      userId,
      recommendationId: positiveId,
      claimExpiresAt: z.iso.datetime(),
    })
    .strict(),
});

/** A user asked to complete a claimed recommendation with a pull request; verified at run time. */
export const completionRequested = eventType("recommendation/completion.requested", {
  schema: z.object({ userId, recommendationId: positiveId, completionId: positiveId }).strict(),
});

/** Build (or refresh) a user's recommendations now, e.g. from a "find me issues" button. */
export const recommendationsBuildRequested = eventType("recommendations/build.requested", {
  schema: z.object({ userId }).strict(),
});
