import { z } from "zod";
import type { RpcClient } from "../db/rpc/rpc-client.ts";
import { ActionError, defineAction } from "../http/actions/index.ts";

/**
 * The caller's own profile and latest audit. Whose profile comes from the verified
 * session only; no profile yet (sign-in has not run) is the RPC's 409 profile_missing.
 */
export function getProfile(deps: { rpc: RpcClient }) {
  return defineAction({
    input: z.object({}).strict(),
    async run({ session }) {
      const [row] = await deps.rpc.call("get_profile", { p_user_id: session.userId });
      if (!row) throw new ActionError(500, "profile_not_returned");
      return {
        githubLogin: row.github_login,
        level: row.level,
        xp: row.xp,
        /** Languages of the caller's own repositories, from the latest completed audit. */
        languages: row.languages,
        audit:
          row.audit_status === null
            ? null
            : { status: row.audit_status, reason: row.audit_reason, at: row.audit_at },
      };
    },
  });
}
