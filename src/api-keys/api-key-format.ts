import { createHash, randomBytes } from "node:crypto";

/**
 * `cfk_` + 43 base62 characters (256 random bits) + a 6-character checksum. The fixed
 * prefix lets the credential detector (src/security/find-credentials.ts) and secret
 * scanners recognise a key; the checksum refuses typos and made-up keys without a
 * database lookup.
 */
export const API_KEY_PREFIX = "cfk_";
const ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const RANDOM_CHARS = 43;
const CHECKSUM_CHARS = 6;
const DISPLAY_CHARS = 8;
const API_KEY = new RegExp(`^${API_KEY_PREFIX}[A-Za-z0-9]{${RANDOM_CHARS + CHECKSUM_CHARS}}$`);

export interface ParsedApiKey {
  /** What the database stores and looks up: SHA-256 of the whole key, hex. */
  hash: string;
  /** `cfk_` and the first 8 random characters: shown in listings so a user can tell keys apart. */
  displayPrefix: string;
}

/** A new key, to be shown to its owner once. */
export function generateApiKey(): { key: string } & ParsedApiKey {
  let body = "";
  while (body.length < RANDOM_CHARS) {
    for (const byte of randomBytes(64)) {
      // 248 = 4 × 62: dropping the rest keeps every character equally likely.
      if (byte < 248 && body.length < RANDOM_CHARS) body += ALPHABET[byte % 62];
    }
  }
  const key = `${API_KEY_PREFIX}${body}${checksum(body)}`;
  return { key, ...describe(key) };
}

/** Whether a bearer token claims to be an API key (and so is never tried as a JWT). */
export function isApiKeyShaped(token: string): boolean {
  return token.startsWith(API_KEY_PREFIX);
}

/** The key's hash and display prefix, or undefined when it is not a well-formed key. */
export function parseApiKey(token: string): ParsedApiKey | undefined {
  if (!API_KEY.test(token)) return undefined;
  const body = token.slice(API_KEY_PREFIX.length, API_KEY_PREFIX.length + RANDOM_CHARS);
  if (token.slice(API_KEY_PREFIX.length + RANDOM_CHARS) !== checksum(body)) return undefined;
  return describe(token);
}

function describe(key: string): ParsedApiKey {
  return {
    // Plain SHA-256, no pepper: the key holds 256 random bits, so its hash can be neither
    // guessed nor inverted, and no server secret has to be shared by every instance.
    hash: createHash("sha256").update(key).digest("hex"),
    displayPrefix: key.slice(0, API_KEY_PREFIX.length + DISPLAY_CHARS),
  };
}

function checksum(body: string): string {
  let n = createHash("sha256").update(body).digest().readUInt32BE(0);
  let out = "";
  for (let i = 0; i < CHECKSUM_CHARS; i++) {
    out = ALPHABET[n % 62]! + out;
    n = Math.floor(n / 62);
  }
  return out;
}
