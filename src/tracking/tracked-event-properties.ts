import { z } from "zod";
import { containsCredential } from "../security/find-credentials.ts";

export const MAX_PROPERTIES = 20;
/** The table's check is `pg_column_size(properties) <= 8192`; this bounds the JSON text. */
export const MAX_PROPERTIES_BYTES = 8192;

/**
 * Keys that would read as "who wrote this" (compared without case, `_` or `-`). The
 * actor, its source and `verified` are the server's to set, in their own columns;
 * a property of the same name is refused (400), not dropped, so a client learns at
 * once that it cannot set them. record_tracked_event refuses the same keys again.
 */
const RESERVED = new Set(["actor", "actorid", "actorsource", "user", "userid", "verified", "role"]);

export function isReservedPropertyKey(key: string): boolean {
  return RESERVED.has(key.toLowerCase().replace(/[_-]/g, ""));
}

const key = z.string().regex(/^[A-Za-z][A-Za-z0-9_.]{0,63}$/);
// Identifiers and small facts (a recommendation id, `owner/repo`), not documents.
const value = z.union([z.string().max(300), z.number(), z.boolean()]);

/**
 * A tracked event's `properties`: a flat JSON object of at most 20 string, number or
 * boolean values, at most 8 KB, with no reserved key and nothing credential-shaped
 * (the database must never hold a credential).
 */
export const trackedEventProperties = z.record(key, value).superRefine((properties, ctx) => {
  const keys = Object.keys(properties);
  if (keys.length > MAX_PROPERTIES)
    ctx.addIssue({ code: "custom", message: `at most ${MAX_PROPERTIES} properties` });
  for (const k of keys.filter(isReservedPropertyKey))
    ctx.addIssue({ code: "custom", path: [k], message: "set by the server, not the client" });
  if (Buffer.byteLength(JSON.stringify(properties)) > MAX_PROPERTIES_BYTES)
    ctx.addIssue({ code: "custom", message: `at most ${MAX_PROPERTIES_BYTES} bytes` });
  if (containsCredential(properties))
    ctx.addIssue({ code: "custom", message: "a credential-shaped value is never stored" });
});

export type TrackedEventProperties = z.output<typeof trackedEventProperties>;
