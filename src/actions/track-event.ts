import { z } from "zod";
import type { RpcClient } from "../db/rpc/rpc-client.ts";
import { defineAction } from "../http/actions/index.ts";
import { trackedEventKind } from "../tracking/tracked-event-kinds.ts";
import { trackedEventProperties } from "../tracking/tracked-event-properties.ts";

/**
 * Records a product event for the session's user. Who wrote it (`user:<id>`), whether a
 * person or an automation did (`actorSource`) and `verified` come from the server only:
 * the router drops client-sent copies from the body and from `properties` before this
 * runs. Not human-only: automations may track events too.
 */
export function trackEvent(deps: { rpc: RpcClient }) {
  return defineAction({
    serverControlledIn: ["properties"],
    input: z
      .object({ kind: trackedEventKind, properties: trackedEventProperties.optional() })
      .strict(),
    async run({ session }, { kind, properties }) {
      const [row] = await deps.rpc.call("record_tracked_event", {
        p_user_id: session.userId,
        p_kind: kind,
        p_properties: properties ?? {},
        p_actor_source: session.actorSource,
        p_actor: `user:${session.userId}`,
      });
      return { id: row!.id, kind, occurredAt: row!.occurred_at.toISOString() };
    },
  });
}
