import type { RpcClient } from "../../db/rpc/rpc-client.ts";

/** An audit row as the database holds it: what a run reports, never more. */
export interface RecordedAudit {
  auditId: number;
  status: "completed" | "skipped" | "failed";
  reason: string | null;
  xp: number | null;
  level: number | null;
  announced: boolean;
}

export type SkipReason =
  | "already_audited"
  | "profile_missing"
  | "identity_mismatch"
  | "github_app_not_configured"
  | "installation_unavailable"
  | "no_auth_source";

export type AuditPlan =
  /** This event's audit is already completed: report it, call nothing. */
  | { kind: "recorded"; audit: RecordedAudit }
  | { kind: "installation"; installationId: number; githubLogin: string }
  | {
      kind: "skip";
      reason: SkipReason;
      /** Whether the skip is written as this event's audit row. */
      record: boolean;
      installationId: number | null;
      /** For already_audited: the completed audit that made this one unnecessary. */
      completedAuditId?: number;
    };

/**
 * Decides, at run time, what this run of the event does. Identity comes from the
 * database (linked from auth.identities at sign-in), never from the event. An
 * installation the event names is used only if it is still the user's, and never
 * swapped for another. Without one, the user's best installation now. Either way the
 * GitHub calls run in audit-collect, limited per the installation chosen here.
 */
export async function planAudit(
  rpc: RpcClient,
  event: { userId: string; githubId: number; installationId?: number | undefined },
  idempotencyKey: string,
  githubConfigured: boolean,
): Promise<AuditPlan> {
  const [ctx] = await rpc.call("audit_context", {
    p_user_id: event.userId,
    p_installation_id: event.installationId ?? null,
    p_idempotency_key: idempotencyKey,
  });
  const skip = (reason: SkipReason, record: boolean, installationId: number | null = null) => ({
    kind: "skip" as const,
    reason,
    record,
    installationId,
  });
  if (!ctx || ctx.github_id === null || ctx.github_login === null) {
    return skip("profile_missing", false);
  }
  if (ctx.audit_id !== null && ctx.audit_status === "completed") {
    return {
      kind: "recorded",
      audit: {
        auditId: ctx.audit_id,
        status: "completed",
        reason: ctx.audit_reason,
        xp: ctx.audit_xp,
        level: ctx.audit_level,
        announced: ctx.audit_announced ?? false,
      },
    };
  }
  if (ctx.completed_audit_id !== null) {
    return { ...skip("already_audited", false), completedAuditId: ctx.completed_audit_id };
  }
  if (ctx.github_id !== event.githubId) return skip("identity_mismatch", true);
  if (!githubConfigured) return skip("github_app_not_configured", true, ctx.installation_id);
  if (ctx.installation_id === null) {
    return event.installationId === undefined
      ? skip("no_auth_source", true)
      : skip("installation_unavailable", true, event.installationId);
  }
  return {
    kind: "installation",
    installationId: ctx.installation_id,
    githubLogin: ctx.github_login,
  };
}
