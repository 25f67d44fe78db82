import { connect } from "node:net";

export interface RawResponse {
  status: number;
  headers: string;
  body: string;
}

/**
 * A plain HTTP/1.1 connection, for what fetch cannot do: send part of a request now and
 * the rest later, or pipeline requests on one connection.
 */
export function rawConnection(port: number) {
  const socket = connect(port, "127.0.0.1");
  let received = "";
  let wake: () => void = () => undefined;
  socket.on("data", (chunk) => {
    received += String(chunk);
    wake();
  });
  socket.on("close", () => wake());
  socket.on("error", () => wake());

  return {
    write: (text: string) => socket.write(text),
    /** The next whole response (Content-Length framed, as the service answers). */
    async response(): Promise<RawResponse> {
      for (;;) {
        const parsed = parseResponse(received);
        if (parsed) {
          received = received.slice(parsed.length);
          return parsed.response;
        }
        if (socket.destroyed) throw new Error(`connection closed; received: ${received}`);
        await new Promise<void>((resolve) => (wake = resolve));
      }
    },
    /** Resolves when the server has closed the connection. */
    closed: new Promise<void>((resolve) => socket.once("close", () => resolve())),
    destroy: () => socket.destroy(),
  };
}

function parseResponse(text: string): { length: number; response: RawResponse } | undefined {
  const end = text.indexOf("\r\n\r\n");
  if (end < 0) return undefined;
  const headers = text.slice(0, end);
  const length = Number(/^content-length: *(\d+)/im.exec(headers)?.[1] ?? 0);
  if (text.length < end + 4 + length) return undefined;
  return {
    length: end + 4 + length,
    response: {
      status: Number(headers.split(" ")[1]),
      headers,
      body: text.slice(end + 4, end + 4 + length),
    },
  };
}
