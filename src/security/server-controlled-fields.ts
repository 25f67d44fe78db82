/**
 * Body keys that would say who is calling or what they may do. The server sets these
 * from the verified session, so a client-sent copy is dropped before validation and the
 * request goes on with the server's values. Compared without case, `_` or `-`, so
 * `user_id`, `USER-ID` and `userId` are one key.
 */
export const SERVER_CONTROLLED_KEYS = [
  "actor",
  "actorId",
  "actorSource",
  "user",
  "userId",
  "verified",
  "role",
  "roles",
] as const;

const normalize = (key: string) => key.toLowerCase().replace(/[_-]/g, "");
const NORMALIZED = new Set<string>(SERVER_CONTROLLED_KEYS.map(normalize));

export function isServerControlledKey(key: string): boolean {
  return NORMALIZED.has(normalize(key));
}

export interface DroppedFields {
  /** The body without any server-controlled key (the same value when nothing was dropped). */
  value: unknown;
  /** Paths of the dropped keys (`userId`, `properties.role`): names only, never values. */
  dropped: string[];
}

/**
 * Drops server-controlled keys from a JSON body's top level and from the named nested
 * objects (track-event's `properties`). Anything that is not a plain object is left for
 * the action's schema to refuse.
 */
export function dropServerControlledFields(
  body: unknown,
  nested: readonly string[] = [],
): DroppedFields {
  const dropped: string[] = [];
  const strip = (value: unknown, prefix: string): unknown => {
    if (!isPlainObject(value)) return value;
    const entries = Object.entries(value);
    for (const [k] of entries) if (isServerControlledKey(k)) dropped.push(`${prefix}${k}`);
    // fromEntries defines own properties, so a `__proto__` key stays data, never a prototype.
    return Object.fromEntries(entries.filter(([k]) => !isServerControlledKey(k)));
  };
  const top = strip(body, "");
  if (isPlainObject(top))
    for (const k of nested) if (Object.hasOwn(top, k)) top[k] = strip(top[k], `${k}.`);
  return { value: dropped.length > 0 ? top : body, dropped };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
