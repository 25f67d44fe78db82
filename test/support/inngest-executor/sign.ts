import { createHmac, timingSafeEqual } from "node:crypto";

const SIGNATURE_HEADER = "x-inngest-signature";

/**
 * HMAC-SHA256 over `payload + t`. The key is the signing key without its
 * `signkey-<env>-` prefix, used as UTF-8 text: the hex is NOT decoded to bytes
 * (helpers/net.ts signWithNative), unlike the bearer token for the REST API,
 * which hashes the hex-decoded key (hashSigningKey).
 */
function hmacHex(signingKey: string, payload: string, t: string): string {
  return createHmac("sha256", signingKey.replace(/^signkey-\w+-/, ""))
    .update(payload + t)
    .digest("hex");
}

/** `X-Inngest-Signature` value for a request body; t is unix seconds. */
export function signatureHeader(signingKey: string, payload: string, nowMs = Date.now()): string {
  const t = String(Math.floor(nowMs / 1000));
  return `t=${t}&s=${hmacHex(signingKey, payload, t)}`;
}

/**
 * Once a request's signature is valid the SDK signs its response body (the
 * exact text, not canonicalized) with the key that matched. Checking it proves
 * the answer came from a handler that holds our key.
 */
export function hasValidResponseSignature(
  res: Response,
  signingKey: string,
  body: string,
): boolean {
  const params = new URLSearchParams(res.headers.get(SIGNATURE_HEADER) ?? "");
  const t = params.get("t");
  const s = params.get("s");
  if (!t || !s) return false;
  const expected = Buffer.from(hmacHex(signingKey, body, t));
  const actual = Buffer.from(s);
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

export { SIGNATURE_HEADER };
