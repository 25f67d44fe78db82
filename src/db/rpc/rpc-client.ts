import { DatabaseUnavailableError, InvalidArgumentsError, RpcContractError } from "./errors.ts";
import {
  type RpcArgs,
  type RpcContract,
  type RpcName,
  type RpcRow,
  rpcContract,
} from "./contract.ts";
import type { RpcTransport } from "./transport.ts";

export interface RpcCallOptions {
  /**
   * The caller gives up when it aborts: the call rejects at once with a
   * DatabaseUnavailableError (code `aborted`) and the transport cancels what it sent.
   * The write may still commit if the cancel comes too late.
   */
  signal?: AbortSignal;
}

export interface RpcClient {
  readonly transport: RpcTransport["kind"];
  call<N extends RpcName>(
    name: N,
    args: RpcArgs<N>,
    options?: RpcCallOptions,
  ): Promise<RpcRow<N>[]>;
  close(): Promise<void>;
}

/** Validates arguments before they leave and every row that comes back. */
export function createRpcClient(
  transport: RpcTransport,
  contract: RpcContract = rpcContract,
): RpcClient {
  return {
    transport: transport.kind,
    async call(name, args, options = {}) {
      const def = contract[name];
      const parsedArgs = def.args.safeParse(args);
      if (!parsedArgs.success) {
        const fields = parsedArgs.error.issues.map((i) => i.path.join(".") || "(root)").join(", ");
        throw new InvalidArgumentsError(name, "invalid_arguments", `invalid arguments: ${fields}`);
      }
      const rows = await untilAborted(
        name,
        transport.call(name, parsedArgs.data, options.signal),
        options.signal,
      );
      const parsedRows = def.row.array().safeParse(rows);
      if (!parsedRows.success) {
        throw new RpcContractError(
          name,
          "contract",
          "returned rows that do not match the contract",
        );
      }
      return parsedRows.data as RpcRow<typeof name>[];
    },
    close: () => transport.close(),
  };
}

/** Rejects as soon as the signal aborts, even if the transport cannot stop (a stalled socket). */
async function untilAborted<T>(rpc: string, work: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return work;
  const aborted = () => new DatabaseUnavailableError(rpc, "aborted", "the caller gave up");
  let onAbort: (() => void) | undefined;
  const gaveUp = new Promise<never>((_, reject) => {
    onAbort = () => reject(aborted());
    if (signal.aborted) onAbort();
    else signal.addEventListener("abort", onAbort, { once: true });
  });
  try {
    return await Promise.race([work, gaveUp]);
  } finally {
    signal.removeEventListener("abort", onAbort!);
    // The loser's outcome no longer matters.
    work.catch(() => undefined);
    gaveUp.catch(() => undefined);
  }
}
