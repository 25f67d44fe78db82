import type { RpcClient } from "../../db/rpc/rpc-client.ts";

export type AuditAuth =
  | { kind: "installation"; installationId: number; githubLogin: string }
  | { kind: "skip"; reason: SkipReason; record: boolean; installationId: number | null };

export type SkipReason =
  | "already_audited"
  | "profile_missing"
  | "identity_mismatch"
  | "github_app_not_configured"
  | "no_auth_source";

/**
 * Decides, at run time, how this audit reaches GitHub. Identity comes from the
 * database (linked from auth.identities at sign-in), never from the event: an
 * installationId in the event is used only if it is one of the user's active
 * installations; otherwise the newest linked active installation is used.
 */
export async function resolveAuditAuth(
  rpc: RpcClient,
  event: { userId: string; githubId: number; installationId?: number | undefined },
  githubConfigured: boolean,
): Promise<AuditAuth> {
  const [ctx] = await rpc.call("audit_context", {
    p_user_id: event.userId,
    p_installation_id: event.installationId ?? null,
  });
  if (!ctx || ctx.github_id === null || ctx.github_login === null) {
    return { kind: "skip", reason: "profile_missing", record: false, installationId: null };
  }
  if (ctx.audited)
    return { kind: "skip", reason: "already_audited", record: false, installationId: null };
  if (ctx.github_id !== event.githubId) {
    return { kind: "skip", reason: "identity_mismatch", record: true, installationId: null };
  }
  if (!githubConfigured)
    return {
      kind: "skip",
      reason: "github_app_not_configured",
      record: true,
      installationId: ctx.installation_id,
    };
  if (ctx.installation_id === null)
    return { kind: "skip", reason: "no_auth_source", record: true, installationId: null };
  return {
    kind: "installation",
    installationId: ctx.installation_id,
    githubLogin: ctx.github_login,
  };
}
