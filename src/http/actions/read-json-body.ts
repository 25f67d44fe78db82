import type { Context } from "hono";
import { readBoundedBody } from "../read-bounded-body.ts";

export type JsonBody =
  { kind: "json"; value: unknown } | { kind: "too_large" } | { kind: "malformed" };

/** A bounded body (see readBoundedBody) parsed as JSON. An empty body is `{}`. */
export async function readJsonBody(c: Context, maxBytes: number): Promise<JsonBody> {
  const body = await readBoundedBody(c, maxBytes);
  if (body.kind === "too_large") return body;
  const text = decodeUtf8(body.bytes);
  if (text === undefined) return { kind: "malformed" };
  if (text.trim() === "") return { kind: "json", value: {} };
  try {
    return { kind: "json", value: JSON.parse(text) as unknown };
  } catch {
    return { kind: "malformed" };
  }
}

export function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}
