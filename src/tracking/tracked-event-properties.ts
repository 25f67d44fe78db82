import { z } from "zod";
import { containsCredential } from "../security/find-credentials.ts";
import { isServerControlledKey } from "../security/server-controlled-fields.ts";

export const MAX_PROPERTIES = 20;
/** The table's check is `pg_column_size(properties) <= 8192`; this bounds the JSON text. */
export const MAX_PROPERTIES_BYTES = 8192;

const key = z.string().regex(/^[A-Za-z][A-Za-z0-9_.]{0,63}$/);
// Identifiers and small facts (a recommendation id, `owner/repo`), not documents.
const value = z.union([z.string().max(300), z.number(), z.boolean()]);

/**
 * A tracked event's `properties`: a flat JSON object of at most 20 string, number or
 * boolean values, at most 8 KB, with no server-controlled key and nothing credential-shaped
 * (the database must never hold a credential).
 */
export const trackedEventProperties = z.record(key, value).superRefine((properties, ctx) => {
  const keys = Object.keys(properties);
  if (keys.length > MAX_PROPERTIES)
    ctx.addIssue({ code: "custom", message: `at most ${MAX_PROPERTIES} properties` });
  // The action router drops these before parsing; refusing here keeps any other caller honest.
  for (const k of keys.filter(isServerControlledKey))
    ctx.addIssue({ code: "custom", path: [k], message: "set by the server, not the client" });
  if (Buffer.byteLength(JSON.stringify(properties)) > MAX_PROPERTIES_BYTES)
    ctx.addIssue({ code: "custom", message: `at most ${MAX_PROPERTIES_BYTES} bytes` });
  if (containsCredential(properties))
    ctx.addIssue({ code: "custom", message: "a credential-shaped value is never stored" });
});

export type TrackedEventProperties = z.output<typeof trackedEventProperties>;
