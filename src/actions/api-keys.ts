import { z } from "zod";
import type { ApiKeyAuth } from "../api-keys/api-key-auth.ts";
import { generateApiKey } from "../api-keys/api-key-format.ts";
import type { RpcClient } from "../db/rpc/rpc-client.ts";
import { defineAction } from "../http/actions/index.ts";

const DAY_MS = 86_400_000;

export interface ApiKeyActionsDeps {
  rpc: RpcClient;
  apiKeys: Pick<ApiKeyAuth, "expectRevocation" | "forget">;
  now?: () => Date;
}

/**
 * Key management is human-only: a key cannot mint, list or revoke keys, so a leaked key
 * cannot entrench itself. The key is in the create response only; the database keeps its
 * SHA-256 and display prefix.
 */
export function createApiKey(deps: ApiKeyActionsDeps) {
  return defineAction({
    input: z
      .object({
        name: z.string().trim().min(1).max(100),
        expiresInDays: z.number().int().min(1).max(365).optional(),
      })
      .strict(),
    humanOnly: true,
    async run({ session }, { name, expiresInDays }) {
      const { key, hash, displayPrefix } = generateApiKey();
      const now = deps.now?.() ?? new Date();
      const [row] = await deps.rpc.call("create_api_key", {
        p_user_id: session.userId,
        p_name: name,
        p_key_hash: hash,
        p_display_prefix: displayPrefix,
        p_expires_at: expiresInDays ? new Date(now.getTime() + expiresInDays * DAY_MS) : null,
      });
      return {
        id: row!.id,
        name: row!.name,
        /** Shown this once; not recoverable. */
        key,
        displayPrefix: row!.display_prefix,
        createdAt: row!.created_at,
        expiresAt: row!.expires_at,
      };
    },
  });
}

export function listApiKeys(deps: Pick<ApiKeyActionsDeps, "rpc" | "now">) {
  return defineAction({
    input: z.object({}).strict(),
    humanOnly: true,
    async run({ session }) {
      const now = (deps.now?.() ?? new Date()).getTime();
      const rows = await deps.rpc.call("list_api_keys", { p_user_id: session.userId });
      return {
        items: rows.map((r) => ({
          id: r.id,
          name: r.name,
          displayPrefix: r.display_prefix,
          status: r.revoked_at
            ? ("revoked" as const)
            : r.expires_at && r.expires_at.getTime() <= now
              ? ("expired" as const)
              : ("active" as const),
          createdAt: r.created_at,
          expiresAt: r.expires_at,
          lastUsedAt: r.last_used_at,
          revokedAt: r.revoked_at,
        })),
      };
    },
  });
}

/**
 * Ownership check and revocation are one RPC (one transaction): someone else's key is 404
 * and stays valid; a refusal before the commit changes nothing. On success the key leaves
 * this instance's cache at once, and the answer waits until every listening instance has
 * acknowledged dropping it or, at most, the feeds' heartbeat bound (3.25 s), after which
 * an instance that did not hear the revocation has turned its cache off.
 */
export function revokeApiKey(deps: Pick<ApiKeyActionsDeps, "rpc" | "apiKeys">) {
  return defineAction({
    input: z.object({ keyId: z.number().int().positive().max(Number.MAX_SAFE_INTEGER) }).strict(),
    humanOnly: true,
    async run({ session, logger }, { keyId }) {
      const acks = deps.apiKeys.expectRevocation(keyId);
      const [row] = await deps.rpc
        .call("revoke_api_key", { p_key_id: keyId, p_user_id: session.userId })
        .catch((err: unknown) => {
          acks.cancel();
          throw err;
        });
      deps.apiKeys.forget(keyId);
      const outcome = await acks.confirmed(row!.listeners);
      if (outcome === "timeout" || outcome === "feed_down")
        logger.warn(
          { apiKeyId: keyId, listeners: row!.listeners, outcome },
          "[api-keys] revoked; not every instance acknowledged, so revoke waited out the heartbeat bound",
        );
      return { id: row!.id, status: "revoked" as const, revokedAt: row!.revoked_at };
    },
  });
}
