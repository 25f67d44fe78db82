import { z } from "zod";
import { trackedEventKind } from "../../tracking/tracked-event-kinds.ts";
import { trackedEventProperties } from "../../tracking/tracked-event-properties.ts";
import { apiKeyRpcs } from "./contract-api-keys.ts";
import { completionRpcs } from "./contract-completions.ts";
import { candidateFreshnessRpcs } from "./contract-candidate-freshness.ts";
import { defineRpc } from "./define-rpc.ts";

const id = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);
const timestamp = z.coerce.date();
const systemActor = z.string().regex(/^system:[a-z][a-z0-9-]{1,62}$/);
const auditStatus = z.enum(["completed", "skipped", "failed"]);
const level = z.number().int().min(0).max(5);
/** X-GitHub-Delivery, as the SQL checks it. */
const deliveryId = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[A-Za-z0-9-]+$/);
const deliveryStatus = z.enum(["received", "forwarded", "ignored", "failed"]);
const webhookDeliveryGroup = z
  .array(
    z
      .object({
        delivery_id: deliveryId,
        event: z.string().regex(/^[a-z_]{1,64}$/),
        action: z.string().max(100).nullable(),
        installation_id: id.nullable(),
        payload_sha256: z.string().regex(/^[0-9a-f]{64}$/),
        forward_event: z.string().nullable(),
        forward_data: z
          .record(z.string(), z.union([z.string(), z.number(), z.boolean()]))
          .nullable(),
      })
      .strict(),
  )
  .min(1)
  .max(500);
const userActor = z
  .string()
  .regex(/^user:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);

/**
 * Every Postgres function the service calls, one entry each. Argument names are
 * the SQL parameter names (PostgREST matches on them). Args are `.strict()`: a
 * stray key is a programming error, not something to forward to SQL.
 */
export const rpcContract = {
  healthcheck: defineRpc(
    z.object({}).strict(),
    z.object({ ok: z.boolean(), checked_at: timestamp }),
  ),
  ...completionRpcs,
  ...apiKeyRpcs,
  ...candidateFreshnessRpcs,
  claim_recommendation_atomic: defineRpc(
    z.object({ p_rec_id: id, p_user_id: z.uuid() }).strict(),
    z.object({ id }),
  ),
  release_recommendation: defineRpc(
    z.object({ p_rec_id: id, p_user_id: z.uuid() }).strict(),
    z.object({ id, status: z.enum(["open", "expired"]) }),
  ),
  get_profile: defineRpc(
    z.object({ p_user_id: z.uuid() }).strict(),
    z.object({
      github_login: z.string().nullable(),
      level,
      xp: z.number().int().min(0),
      /** The user's latest audit; all three null when there is none. */
      audit_status: auditStatus.nullable(),
      audit_reason: z.string().nullable(),
      audit_at: timestamp.nullable(),
      /** The languages of the user's own repositories, from the latest completed audit. */
      languages: z.array(z.string()),
    }),
  ),
  list_recommendations: defineRpc(
    z
      .object({
        p_user_id: z.uuid(),
        /** Keyset: rows after this id, in id order; null for the first page. */
        p_after_id: id.nullable(),
        p_limit: z.number().int().min(1).max(101),
      })
      .strict(),
    z.object({
      id,
      status: z.enum(["open", "claimed"]),
      repo: z.string(),
      number: id,
      title: z.string(),
      url: z.string(),
      language: z.string().nullable(),
      labels: z.array(z.string()),
      expires_at: timestamp,
      claim_expires_at: timestamp.nullable(),
    }),
  ),
  bootstrap_profile: defineRpc(
    z.object({ p_user_id: z.uuid() }).strict(),
    z.object({
      github_id: id,
      github_login: z.string(),
      installation_id: id.nullable(),
      audited: z.boolean(),
    }),
  ),
  audit_context: defineRpc(
    z
      .object({
        p_user_id: z.uuid(),
        p_installation_id: id.nullable(),
        p_idempotency_key: z.string().min(1).max(200).nullable(),
      })
      .strict(),
    z.object({
      github_id: id.nullable(),
      github_login: z.string().nullable(),
      installation_id: id.nullable(),
      /** The user's latest completed audit, whichever event it came from. */
      completed_audit_id: id.nullable(),
      /** This event's own audit row, if one exists. */
      audit_id: id.nullable(),
      audit_status: auditStatus.nullable(),
      audit_reason: z.string().nullable(),
      audit_xp: z.number().int().min(0).nullable(),
      audit_level: level.nullable(),
      audit_announced: z.boolean().nullable(),
    }),
  ),
  record_audit: defineRpc(
    z
      .object({
        p_idempotency_key: z.string().min(1).max(200),
        p_user_id: z.uuid(),
        p_status: auditStatus,
        p_reason: z.string().max(200).nullable(),
        p_installation_id: id.nullable(),
        p_signals: z.record(z.string(), z.number()).nullable(),
        p_xp: z.number().int().min(0).nullable(),
        p_level: level.nullable(),
        p_actor: systemActor,
        p_run_id: z.string().min(1).max(100),
        /** Names of the user's repositories' primary languages; null unless completed. */
        p_languages: z.array(z.string().min(1).max(100)).max(100).nullable(),
      })
      .strict(),
    z.object({
      audit_id: id,
      status: auditStatus,
      reason: z.string().nullable(),
      xp: z.number().int().min(0).nullable(),
      level: level.nullable(),
      /** False when the row already held a final or identical outcome. */
      changed: z.boolean(),
      announced: z.boolean(),
    }),
  ),
  mark_audit_announced: defineRpc(
    z.object({ p_audit_id: id, p_actor: systemActor }).strict(),
    z.object({ audit_id: id, announced_at: timestamp }),
  ),
  mark_installation_inactive: defineRpc(
    z
      .object({
        p_installation_id: id,
        p_status: z.enum(["suspended", "deleted"]),
        p_reason: z.string().max(200),
        p_actor: systemActor,
      })
      .strict(),
    z.object({ installation_id: id, status: z.string() }),
  ),
  upsert_github_installation: defineRpc(
    z
      .object({
        p_installation_id: id,
        p_account_id: id,
        p_account_login: z.string().min(1).max(100),
        p_account_type: z.enum(["User", "Organization", "Enterprise"]),
        p_installed_by: id.nullable(),
        p_delivery_id: deliveryId,
        p_actor: systemActor,
      })
      .strict(),
    /** Linked users without a completed audit: who to audit now. */
    z.object({ user_id: z.uuid(), github_id: id, github_login: z.string() }),
  ),
  set_github_installation_status: defineRpc(
    z
      .object({
        p_installation_id: id,
        p_status: z.enum(["active", "suspended", "deleted"]).nullable(),
        p_reason: z.string().max(200).nullable(),
        p_delivery_id: deliveryId,
        p_actor: systemActor,
      })
      .strict(),
    z.object({ installation_id: id, status: z.enum(["active", "suspended", "deleted"]) }),
  ),
  sync_installation_repositories: defineRpc(
    z
      .object({
        p_installation_id: id,
        p_repositories: z
          .array(
            z.object({ id, full_name: z.string().min(1).max(200), private: z.boolean() }).strict(),
          )
          .max(10_000),
        p_delivery_id: deliveryId,
        p_actor: systemActor,
      })
      .strict(),
    z.object({ installation_id: id, repositories: z.number().int().min(0) }),
  ),
  record_failed_run: defineRpc(
    z
      .object({
        p_run_id: z.string().min(1).max(100),
        p_function_id: z.string().min(1).max(200),
        p_event_name: z.string().max(200).nullable(),
        p_event_id: z.string().max(200).nullable(),
        p_error_name: z.string().max(200).nullable(),
        p_error_message: z.string().max(1000).nullable(),
        p_actor: systemActor,
      })
      .strict(),
    z.object({ run_id: z.string(), created: z.boolean() }),
  ),
  record_webhook_delivery: defineRpc(
    z
      .object({
        p_delivery_id: deliveryId,
        p_event: z.string().regex(/^[a-z_]{1,64}$/),
        p_action: z.string().max(100).nullable(),
        p_installation_id: id.nullable(),
        p_payload_sha256: z.string().regex(/^[0-9a-f]{64}$/),
        /** Null: an event this service does not handle, recorded as ignored. */
        p_forward_event: z.string().nullable(),
        p_forward_data: z
          .record(z.string(), z.union([z.string(), z.number(), z.boolean()]))
          .nullable(),
        p_actor: systemActor,
      })
      .strict(),
    z.object({ delivery_id: z.string(), status: deliveryStatus, duplicate: z.boolean() }),
  ),
  /** record_webhook_delivery for a group of deliveries in one transaction, results in order. */
  record_webhook_deliveries: defineRpc(
    z
      .object({
        p_deliveries: webhookDeliveryGroup,
        p_actor: systemActor,
      })
      .strict(),
    z.object({ delivery_id: z.string(), status: deliveryStatus, duplicate: z.boolean() }),
  ),
  /**
   * The intake's group commit: marks earlier deliveries forwarded (mark_webhook_deliveries_
   * forwarded) and records a group (record_webhook_deliveries) in one transaction.
   */
  record_webhook_group: defineRpc(
    z
      .object({
        p_deliveries: webhookDeliveryGroup,
        p_forwarded: z.array(deliveryId).max(500),
        p_actor: systemActor,
      })
      .strict(),
    z.object({ delivery_id: z.string(), status: deliveryStatus, duplicate: z.boolean() }),
  ),
  mark_webhook_deliveries_forwarded: defineRpc(
    z
      .object({ p_delivery_ids: z.array(deliveryId).min(1).max(500), p_actor: systemActor })
      .strict(),
    z.object({ delivery_id: z.string(), processed_at: timestamp }),
  ),
  claim_webhook_forwards: defineRpc(
    z
      .object({
        p_limit: z.number().int().min(1).max(500),
        p_min_age_seconds: z.number().int().min(0),
        p_lease_seconds: z.number().int().min(1).max(3600),
        p_actor: systemActor,
      })
      .strict(),
    z.object({
      delivery_id: z.string(),
      forward_event: z.string(),
      // Checked against the event's schema before it is sent.
      forward_data: z.record(z.string(), z.unknown()),
      attempts: z.number().int().min(1),
    }),
  ),
  mark_webhook_delivery_failed: defineRpc(
    z
      .object({
        p_delivery_id: deliveryId,
        p_error: z.string().regex(/^[a-z_]{1,64}$/),
        p_actor: systemActor,
      })
      .strict(),
    z.object({ delivery_id: z.string(), status: deliveryStatus }),
  ),
  expire_recommendations: defineRpc(
    z
      .object({ p_now: z.date(), p_limit: z.number().int().min(1).max(5000), p_actor: systemActor })
      .strict(),
    z.object({ expired: z.number().int().min(0) }),
  ),
  /** organization member_added/removed, ordered by the delivery's receipt time. */
  apply_installation_member: defineRpc(
    z
      .object({
        p_installation_id: id,
        p_github_user_id: id,
        p_member: z.boolean(),
        p_delivery_id: deliveryId,
        p_actor: systemActor,
      })
      .strict(),
    z.object({
      status: z.enum(["recorded", "stale", "unrelated"]),
      member: z.boolean().nullable(),
    }),
  ),
  installation_account: defineRpc(
    z.object({ p_installation_id: id }).strict(),
    z.object({
      account_login: z.string(),
      account_type: z.enum(["User", "Organization", "Enterprise"]),
      status: z.enum(["active", "suspended", "deleted"]),
    }),
  ),
  /** The organisation's members as GitHub lists them at installation, stamped with its delivery. */
  sync_installation_members: defineRpc(
    z
      .object({
        p_installation_id: id,
        p_member_ids: z.array(id).max(100_000),
        p_delivery_id: deliveryId,
        p_actor: systemActor,
      })
      .strict(),
    z.object({
      status: z.enum(["synced", "unrelated"]),
      members: z.number().int().min(0).nullable(),
    }),
  ),
  /** Users the daily refresh builds for (reach an active installation), keyset by id. */
  recommendation_refresh_users: defineRpc(
    z
      .object({ p_after: z.string().uuid().nullable(), p_limit: z.number().int().min(1).max(5000) })
      .strict(),
    z.object({ user_id: z.string().uuid() }),
  ),
  /** Retention: forwarded/ignored deliveries and issue verdicts older than p_before. */
  prune_webhook_records: defineRpc(
    z
      .object({
        p_before: z.date(),
        p_limit: z.number().int().min(1).max(5000),
        p_actor: systemActor,
      })
      .strict(),
    z.object({ deliveries: z.number().int().min(0), issue_states: z.number().int().min(0) }),
  ),
  release_idle_claims: defineRpc(
    z
      .object({ p_now: z.date(), p_limit: z.number().int().min(1).max(5000), p_actor: systemActor })
      .strict(),
    z.object({ released: z.number().int().min(0) }),
  ),
  claims_due_warning: defineRpc(
    z.object({ p_now: z.date(), p_limit: z.number().int().min(1).max(5000) }).strict(),
    z.object({
      recommendation_id: id,
      user_id: z.uuid(),
      claimed_at: timestamp,
      claim_expires_at: timestamp,
    }),
  ),
  mark_claims_warned: defineRpc(
    z.object({ p_recommendation_ids: z.array(id).min(1).max(5000), p_actor: systemActor }).strict(),
    z.object({ recommendation_id: id }),
  ),
  /** Sets verified = true itself; the actor must be `user:<p_user_id>`. */
  record_tracked_event: defineRpc(
    z
      .object({
        p_user_id: z.uuid(),
        p_kind: trackedEventKind,
        p_properties: trackedEventProperties,
        p_actor_source: z.enum(["human", "api_key"]),
        p_actor: userActor,
      })
      .strict(),
    z.object({ id, occurred_at: timestamp }),
  ),
  /** Repositories of the user's active installations, with when their candidates were fetched. */
  recommendation_build_context: defineRpc(
    z.object({ p_user_id: z.uuid() }).strict(),
    z.object({
      installation_id: id,
      repo_full_name: z.string(),
      fetched_at: timestamp.nullable(),
    }),
  ),
  /** Leases the stale repositories to the caller: only these are searched on GitHub. */
  claim_candidate_refresh: defineRpc(
    z
      .object({
        p_installation_id: id,
        p_repositories: z.array(z.string().min(3).max(200)).max(10_000),
        p_fresh_seconds: z.number().int().min(0),
        p_lease_seconds: z.number().int().min(1).max(3600),
        p_lease_owner: z.string().min(1).max(200),
        p_actor: systemActor,
      })
      .strict(),
    z.object({ repo_full_name: z.string() }),
  ),
  store_candidate_issues: defineRpc(
    z
      .object({
        p_repositories: z.array(z.string().min(3).max(200)).max(10_000),
        p_issues: z
          .array(
            z
              .object({
                github_issue_id: id,
                repo_full_name: z.string().min(3).max(200),
                number: id,
                title: z.string().max(1000),
                html_url: z.string().max(1000),
                language: z.string().max(100).nullable(),
                labels: z.array(z.string().max(100)).max(100),
                created_at: z.string(),
                updated_at: z.string(),
                assigned: z.boolean(),
              })
              .strict(),
          )
          .max(10_000),
        p_lease_owner: z.string().min(1).max(200),
        p_actor: systemActor,
      })
      .strict(),
    z.object({ stored: z.number().int().min(0), closed: z.number().int().min(0) }),
  ),
  recommendation_candidates: defineRpc(
    z.object({ p_user_id: z.uuid() }).strict(),
    z.object({
      candidate_issue_id: id,
      repo_full_name: z.string(),
      number: id,
      title: z.string(),
      labels: z.array(z.string()),
      language: z.string().nullable(),
      issue_created_at: timestamp,
      issue_updated_at: timestamp,
      assigned: z.boolean(),
      claimed_by_other: z.boolean(),
      dropped: z.boolean(),
    }),
  ),
  /** Open rows get the new score and expiry; claimed, completed, expired and released rows are untouched. */
  upsert_recommendations: defineRpc(
    z
      .object({
        p_user_id: z.uuid(),
        p_items: z
          .array(
            z.object({ candidate_issue_id: id, rank_score: z.number().min(0).max(1) }).strict(),
          )
          .max(100),
        p_expires_at: z.date(),
        p_actor: systemActor,
      })
      .strict(),
    z.object({ inserted: z.number().int().min(0), refreshed: z.number().int().min(0) }),
  ),
} as const;

export type RpcContract = typeof rpcContract;
export type RpcName = keyof RpcContract;
export type RpcArgs<N extends RpcName> = z.input<RpcContract[N]["args"]>;
export type RpcRow<N extends RpcName> = z.output<RpcContract[N]["row"]>;
