import { Writable } from "node:stream";
import { createLogger } from "../../src/log/logger.ts";

/**
 * The project's real (redacting) logger, writing each finished line into `lines`
 * so a test can assert on what was logged and on what never was.
 */
export function collectingLogger(options: { level?: string; lines?: string[] } = {}) {
  const lines = options.lines ?? [];
  const destination = new Writable({
    write: (chunk, _enc, done) => (lines.push(String(chunk)), done()),
  });
  const logger = createLogger({ ...(options.level ? { level: options.level } : {}), destination });
  const records = () => lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  return { logger, lines, records };
}
