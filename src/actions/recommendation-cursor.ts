/**
 * The opaque `cursor` of list-recommendations: base64url of `rec:<last id>`. Opaque so
 * clients pass it back rather than build it; a forged one can only move the start of
 * the caller's own list (the query is scoped to the session's user), never widen it.
 */
const PREFIX = "rec:";
const ENCODED = /^[A-Za-z0-9_-]{1,40}$/;
const DECODED = /^rec:([1-9][0-9]{0,15})$/;

export function encodeCursor(lastId: number): string {
  return Buffer.from(`${PREFIX}${lastId}`, "utf8").toString("base64url");
}

/** The id a cursor points after, or undefined for anything this module did not produce. */
export function decodeCursor(cursor: string): number | undefined {
  if (!ENCODED.test(cursor)) return undefined;
  const text = Buffer.from(cursor, "base64url").toString("utf8");
  // Node decodes leniently (ignores junk): insist on the canonical form.
  if (Buffer.from(text, "utf8").toString("base64url") !== cursor) return undefined;
  const digits = DECODED.exec(text)?.[1];
  if (digits === undefined) return undefined;
  const id = Number(digits);
  return Number.isSafeInteger(id) ? id : undefined;
}
