import { z } from "zod";
import { defineRpc } from "./define-rpc.ts";

const id = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);

/**
 * The candidate-freshness RPCs (supabase/migrations/20261124003000_issue-freshness.sql and
 * 20261124003100_candidate-refresh-pending.sql), spread into rpcContract: kept apart so
 * parallel features do not edit one long list.
 */
export const candidateFreshnessRpcs = {
  apply_issue_event: defineRpc(
    z
      .object({
        p_installation_id: id,
        p_repository_id: id,
        p_issue_id: id,
        p_issue_number: z.number().int().positive().max(2_147_483_647),
        p_issue_updated_at: z.date(),
        p_eligible: z.boolean(),
        /** The user an issues.assigned delivery assigned: their open recommendation stays. */
        p_keep_github_id: id.nullable(),
        p_action: z.string().regex(/^[a-z_]{1,40}$/),
        p_delivery_id: z
          .string()
          .min(1)
          .max(100)
          .regex(/^[A-Za-z0-9-]+$/),
        p_actor: z.string().regex(/^system:[a-z][a-z0-9-]{1,62}$/),
      })
      .strict(),
    z.object({
      outcome: z.enum(["unrelated", "stale", "applied", "current"]),
      candidates_closed: z.number().int().min(0),
      recommendations_expired: z.number().int().min(0),
    }),
  ),
  pending_candidate_refreshes: defineRpc(
    z
      .object({
        p_repositories: z.array(z.string().min(3).max(200)).max(10_000),
        p_fresh_seconds: z.number().int().min(0),
      })
      .strict(),
    z.object({ repo_full_name: z.string() }),
  ),
} as const;
