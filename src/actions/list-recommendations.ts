import { z } from "zod";
import type { RpcClient } from "../db/rpc/rpc-client.ts";
import { defineAction } from "../http/actions/index.ts";
import { decodeCursor, encodeCursor } from "./recommendation-cursor.ts";

const input = z
  .object({
    cursor: z
      .string()
      .transform((cursor, ctx) => {
        const afterId = decodeCursor(cursor);
        if (afterId === undefined) ctx.addIssue({ code: "custom", message: "invalid cursor" });
        return afterId ?? z.NEVER;
      })
      .optional(),
    limit: z.number().int().min(1).max(100).default(20),
  })
  .strict();

/**
 * The caller's live recommendations (open, or claimed with the claim running), in id
 * order, one page at a time: `nextCursor` is null on the last page.
 */
export function listRecommendations(deps: { rpc: RpcClient }) {
  return defineAction({
    input,
    async run({ session }, { cursor, limit }) {
      // One row more than asked tells whether another page follows, without a count.
      const rows = await deps.rpc.call("list_recommendations", {
        p_user_id: session.userId,
        p_after_id: cursor ?? null,
        p_limit: limit + 1,
      });
      const page = rows.slice(0, limit);
      return {
        items: page.map((r) => ({
          id: r.id,
          status: r.status,
          issue: {
            repo: r.repo,
            number: r.number,
            title: r.title,
            url: r.url,
            language: r.language,
            labels: r.labels,
          },
          expiresAt: r.expires_at,
          claimExpiresAt: r.claim_expires_at,
        })),
        nextCursor: rows.length > limit && page.length > 0 ? encodeCursor(page.at(-1)!.id) : null,
      };
    },
  });
}
