import { randomBytes } from "node:crypto";

const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/** A ULID: 48-bit millisecond time + 80 bits of entropy, Crockford base32. */
export function ulid(millis: number = Date.now(), entropy: Uint8Array = randomBytes(10)): string {
  let value = BigInt(millis);
  for (const byte of entropy) value = (value << 8n) | BigInt(byte);
  let out = "";
  for (let i = 0; i < 26; i++) {
    out = CROCKFORD.charAt(Number(value & 31n)) + out;
    value >>= 5n;
  }
  return out;
}

/**
 * The SDK sends `x-inngest-event-id-seed: <millis>,<base64 of 10 bytes>` with
 * every send. Inngest (pkg/event/id.go, SeededIDFromString) adds the event's
 * index to the last 4 entropy bytes (big-endian, wrapping) and builds the
 * internal ULID from that, so a retried send yields the same ids. Any
 * malformed seed falls back to a random id, as Inngest does.
 */
export function seededUlid(seed: string | null, index: number): string {
  const parts = (seed ?? "").split(",");
  const millis = Number(parts[0]);
  const entropy = Buffer.from(parts[1] ?? "", "base64");
  if (parts.length !== 2 || !Number.isSafeInteger(millis) || millis <= 0 || entropy.length !== 10) {
    return ulid();
  }
  entropy.writeUInt32BE((entropy.readUInt32BE(6) + index) >>> 0, 6);
  return ulid(millis, entropy);
}
