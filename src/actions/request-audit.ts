import { z } from "zod";
import type { RpcClient } from "../db/rpc/rpc-client.ts";
import { ProfileMissingError } from "../db/rpc/errors.ts";
import { defineAction } from "../http/actions/index.ts";
import type { AppInngest } from "../inngest/client.ts";
import { queueAudit } from "./queue-audit.ts";

export interface RequestAuditDeps {
  rpc: RpcClient;
  inngest: Pick<AppInngest, "send">;
  now?: () => Date;
}

/**
 * Queues `audit/run` for the session's user (a person or one of their API keys); the event
 * carries identifiers only, read from the database, never from the request. A user whose
 * audit completed gets `already_audited` and nothing is queued: audit-run would skip it.
 * A skipped or failed audit (no installation then, say) can be asked for again.
 */
export function requestAudit(deps: RequestAuditDeps) {
  return defineAction({
    input: z.object({}).strict(),
    successStatus: 202,
    async run({ session, logger }) {
      const [ctx] = await deps.rpc.call("audit_context", {
        p_user_id: session.userId,
        p_installation_id: null,
        p_idempotency_key: null,
      });
      if (!ctx || ctx.github_id === null || ctx.github_login === null)
        throw new ProfileMissingError("audit_context", "CF006", "the user has no profile yet");
      if (ctx.completed_audit_id !== null)
        return { status: "already_audited" as const, auditId: ctx.completed_audit_id };

      const hour = (deps.now?.() ?? new Date()).toISOString().slice(0, 13);
      // Inngest drops a second event with the same id within 24 h: a script asking in a loop
      // queues one audit per user per UTC hour (per installation, should one appear).
      const id = `audit-run:${session.userId}:request:${hour}:${ctx.installation_id ?? "none"}`;
      await queueAudit(
        deps.inngest,
        {
          userId: session.userId,
          githubLogin: ctx.github_login,
          githubId: ctx.github_id,
          installationId: ctx.installation_id,
        },
        id,
        logger,
      );
      return { status: "queued" as const, eventId: id };
    },
  });
}
