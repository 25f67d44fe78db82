import { z } from "zod";
import type { RpcClient } from "../db/rpc/rpc-client.ts";
import { ActionError, defineAction } from "../http/actions/index.ts";
import type { AppInngest } from "../inngest/client.ts";
import { queueAudit } from "./queue-audit.ts";

export interface BootstrapProfileDeps {
  rpc: RpcClient;
  inngest: Pick<AppInngest, "send">;
  now?: () => Date;
}

/**
 * The sign-in action. The GitHub identity comes from auth.identities (inside the
 * RPC), so nothing the user can edit decides whose account, installation or audit
 * this is. The audit event carries identifiers only. Human-only: signing in is a person's
 * act; an automation key asks for an audit with request-audit.
 */
export function bootstrapProfile(deps: BootstrapProfileDeps) {
  return defineAction({
    input: z.object({}).strict(),
    humanOnly: true,
    async run({ session, logger }) {
      const [profile] = await deps.rpc.call("bootstrap_profile", { p_user_id: session.userId });
      if (!profile) throw new ActionError(500, "profile_not_returned");
      const result = { githubLogin: profile.github_login, githubId: profile.github_id };
      if (profile.audited) return { ...result, audit: "already_audited" as const };

      const day = (deps.now?.() ?? new Date()).toISOString().slice(0, 10);
      // Inngest drops a second event with the same id within 24 h: repeated sign-ins on one
      // day queue one audit, unless the user's installation changed in between.
      const eventId = `audit-run:${session.userId}:${day}:${profile.installation_id ?? "none"}`;
      await queueAudit(
        deps.inngest,
        {
          userId: session.userId,
          githubLogin: profile.github_login,
          githubId: profile.github_id,
          installationId: profile.installation_id,
        },
        eventId,
        logger,
      );
      return { ...result, audit: "queued" as const };
    },
  });
}
