import { z } from "zod";
import { defineRpc } from "./define-rpc.ts";

const id = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);
const timestamp = z.coerce.date();
/** SHA-256 of the key, hex; see src/api-keys/api-key-format.ts. */
const keyHash = z.string().regex(/^[0-9a-f]{64}$/);
const displayPrefix = z.string().regex(/^cfk_[A-Za-z0-9]{8}$/);

/**
 * The API-key RPCs (supabase/migrations/20261124002000_api-keys.sql), spread into
 * rpcContract: kept apart so parallel features do not edit one long list.
 */
export const apiKeyRpcs = {
  create_api_key: defineRpc(
    z
      .object({
        p_user_id: z.uuid(),
        p_name: z.string().min(1).max(100),
        p_key_hash: keyHash,
        p_display_prefix: displayPrefix,
        p_expires_at: z.date().nullable(),
      })
      .strict(),
    z.object({
      id,
      name: z.string(),
      display_prefix: displayPrefix,
      created_at: timestamp,
      expires_at: timestamp.nullable(),
    }),
  ),
  /** Active keys first, then the newest revoked or expired, 100 rows at most (…003900). */
  list_api_keys: defineRpc(
    z.object({ p_user_id: z.uuid() }).strict(),
    z.object({
      id,
      name: z.string(),
      display_prefix: displayPrefix,
      created_at: timestamp,
      expires_at: timestamp.nullable(),
      last_used_at: timestamp.nullable(),
      revoked_at: timestamp.nullable(),
    }),
  ),
  revoke_api_key: defineRpc(
    z.object({ p_key_id: id, p_user_id: z.uuid() }).strict(),
    z.object({
      id,
      revoked_at: timestamp,
      changed: z.boolean(),
      /** Revocation feeds connected to this database (instances that will acknowledge). */
      listeners: z.number().int().min(0),
    }),
  ),
  /** No row: unknown, revoked or expired. */
  authenticate_api_key: defineRpc(
    z.object({ p_key_hash: keyHash }).strict(),
    z.object({ key_id: id, user_id: z.uuid(), expires_at: timestamp.nullable() }),
  ),
  touch_api_key: defineRpc(z.object({ p_key_id: id }).strict(), z.object({ touched: z.boolean() })),
} as const;
