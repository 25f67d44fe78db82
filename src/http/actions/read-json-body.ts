export type JsonBody =
  { kind: "json"; value: unknown } | { kind: "too_large" } | { kind: "malformed" };

/**
 * Reads at most `maxBytes`, whatever Content-Length claims (chunked bodies have
 * none), so an oversized body costs us `maxBytes` of memory, not its size.
 * An empty body is `{}`: actions without input need not send one.
 */
export async function readJsonBody(request: Request, maxBytes: number): Promise<JsonBody> {
  if (Number(request.headers.get("content-length")) > maxBytes) return { kind: "too_large" };
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (request.body) {
    const reader = (request.body as ReadableStream<Uint8Array>).getReader();
    for (let part = await reader.read(); !part.done; part = await reader.read()) {
      size += part.value.byteLength;
      if (size > maxBytes) {
        await reader.cancel();
        return { kind: "too_large" };
      }
      chunks.push(part.value);
    }
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(Buffer.concat(chunks));
  } catch {
    return { kind: "malformed" };
  }
  if (text.trim() === "") return { kind: "json", value: {} };
  try {
    return { kind: "json", value: JSON.parse(text) as unknown };
  } catch {
    return { kind: "malformed" };
  }
}
