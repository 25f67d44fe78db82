export type BoundedBody = { kind: "ok"; bytes: Buffer } | { kind: "too_large" };

/**
 * Reads at most `maxBytes`, whatever Content-Length claims (chunked bodies have none),
 * so an oversized body costs `maxBytes` of memory, not its size.
 */
export async function readBoundedBody(request: Request, maxBytes: number): Promise<BoundedBody> {
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
  return { kind: "ok", bytes: Buffer.concat(chunks) };
}
