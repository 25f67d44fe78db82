import { z } from "zod";
import { defineRpc } from "./define-rpc.ts";

const id = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);
const prNumber = z.number().int().positive().max(2_147_483_647);
const completionStatus = z.enum(["verifying", "accepted", "refused"]);
export const completionRefusal = z.enum([
  "pr_not_found",
  "wrong_repository",
  "not_author",
  "no_reference",
  "no_installation",
  "not_claimed",
]);

/**
 * The completion RPCs (supabase/migrations/20261124000900_recommendation-completion.sql),
 * spread into rpcContract: kept apart so parallel features do not edit one long list.
 */
export const completionRpcs = {
  request_completion: defineRpc(
    z
      .object({
        p_rec_id: id,
        p_user_id: z.uuid(),
        p_pr_owner: z.string().min(1).max(39),
        p_pr_repo: z.string().min(1).max(100),
        p_pr_number: prNumber,
      })
      .strict(),
    z.object({ completion_id: id, status: completionStatus, requests: prNumber }),
  ),
  completion_context: defineRpc(
    z.object({ p_completion_id: id }).strict(),
    z.object({
      completion_id: id,
      completion_status: completionStatus,
      recommendation_id: id,
      recommendation_status: z.enum(["open", "claimed", "completed", "expired"]),
      user_id: z.uuid(),
      github_id: id.nullable(),
      github_login: z.string().nullable(),
      pr_owner: z.string(),
      pr_repo: z.string(),
      pr_number: prNumber,
      repo_full_name: z.string(),
      issue_number: prNumber,
      issue_url: z.string(),
      /** One of the user's active installations listing the issue's repository; null if none. */
      installation_id: id.nullable(),
      repository_id: id.nullable(),
    }),
  ),
  record_completion_verdict: defineRpc(
    z
      .object({
        p_completion_id: id,
        p_status: z.enum(["accepted", "refused"]),
        p_reason: completionRefusal.nullable(),
        p_actor: z.string().regex(/^system:[a-z][a-z0-9-]{1,62}$/),
      })
      .strict(),
    z.object({
      status: z.enum(["accepted", "refused"]),
      reason: completionRefusal.nullable(),
      recommendation_status: z.enum(["open", "claimed", "completed", "expired"]),
      changed: z.boolean(),
    }),
  ),
} as const;
