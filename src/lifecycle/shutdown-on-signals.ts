import type { EventEmitter } from "node:events";
import type { Logger } from "pino";

export interface Shutdown {
  /** What a signal runs once the service is up; runs at once if one came during start-up. */
  whenStarted(stop: () => Promise<void>): void;
}

const SIGNALS = ["SIGINT", "SIGTERM"] as const;

/**
 * From now on SIGINT and SIGTERM stop the service once, log "[service] stopped" and exit
 * 0 (1 if stopping failed). Later signals are logged and ignored: a Ctrl-C under npm arrives
 * twice (from the terminal, and forwarded by npm), and cleanup must not be cut short.
 * The stop is bounded (HTTP drain, Postgres grace), so there is no need to force an exit.
 */
export function shutdownOnSignals(
  logger: Logger,
  exit: (code: number) => void = (code) => process.exit(code),
  signals: Pick<EventEmitter, "on"> = process,
): Shutdown {
  let received: string | undefined;
  let stop: (() => Promise<void>) | undefined;
  const run = () => {
    if (!received || !stop) return;
    stop().then(
      () => {
        logger.info("[service] stopped");
        exit(0);
      },
      (err: unknown) => {
        logger.error({ err }, "[service] unclean stop");
        exit(1);
      },
    );
  };
  const onSignal = (signal: string) => {
    if (received) {
      logger.info({ signal }, "[service] already stopping; cleanup continues");
      return;
    }
    received = signal;
    logger.info({ signal }, "[service] stopping");
    run();
  };
  for (const signal of SIGNALS) signals.on(signal, () => onSignal(signal));
  return {
    whenStarted(fn) {
      stop = fn;
      run();
    },
  };
}
