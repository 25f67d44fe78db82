import { createHmac, timingSafeEqual } from "node:crypto";

const SIGNATURE = "x-inngest-signature";

/** HMAC-SHA256 over body + t, keyed by the signing key's text without its prefix, as the SDK signs. */
function sign(key: string, body: string, t: string): string {
  return createHmac("sha256", key.replace(/^signkey-\w+-/, ""))
    .update(body + t)
    .digest("hex");
}

/** The key (of ours) that produced a response's signature over `body`, if any. */
export function keyThatSigned(
  signature: string,
  body: string,
  keys: readonly string[],
): string | undefined {
  const params = new URLSearchParams(signature);
  const t = params.get("t");
  const s = Buffer.from(params.get("s") ?? "");
  if (!t) return undefined;
  return keys.find((key) => {
    const expected = Buffer.from(sign(key, body, t));
    return expected.length === s.length && timingSafeEqual(expected, s);
  });
}

/**
 * The response with `body` in place of its own, signed again with the key that signed the
 * original; unsigned if none of ours did (Inngest then rejects it rather than trusting it).
 */
export function resignResponse(
  response: Response,
  original: string,
  body: string,
  keys: readonly string[],
  now = Date.now(),
): Response {
  const headers = new Headers(response.headers);
  headers.delete("content-length");
  headers.delete(SIGNATURE);
  const key = keyThatSigned(response.headers.get(SIGNATURE) ?? "", original, keys);
  if (key) {
    const t = String(Math.round(now / 1000));
    headers.set(SIGNATURE, `t=${t}&s=${sign(key, body, t)}`);
  }
  return new Response(body, { status: response.status, headers });
}
