import type { Logger } from "pino";
import { ActionError } from "../http/actions/index.ts";
import type { AppInngest } from "../inngest/client.ts";
import { auditRun } from "../inngest/events.ts";

/** Who is audited: identifiers read from the database, never from a request. */
export interface AuditSubject {
  userId: string;
  githubLogin: string;
  githubId: number;
  installationId: number | null;
}

/**
 * Sends `audit/run` under `eventId` (Inngest drops a repeat of an id for 24 h, which is how
 * callers bound repeats). Inngest unreachable: 503 `audit_not_queued`, safe to retry, since
 * the same id is sent again.
 */
export async function queueAudit(
  inngest: Pick<AppInngest, "send">,
  subject: AuditSubject,
  eventId: string,
  logger: Logger,
): Promise<void> {
  const { installationId, ...identity } = subject;
  const event = auditRun.create(
    { ...identity, ...(installationId ? { installationId } : {}) },
    { id: eventId },
  );
  try {
    await inngest.send(event);
  } catch (err) {
    logger.error({ err }, "[actions] audit/run not queued");
    throw new ActionError(503, "audit_not_queued", "the audit could not be queued; retry shortly");
  }
}
