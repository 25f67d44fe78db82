import { InvalidArgumentsError, RpcContractError } from "./errors.ts";
import {
  type RpcArgs,
  type RpcContract,
  type RpcName,
  type RpcRow,
  rpcContract,
} from "./contract.ts";
import type { RpcTransport } from "./transport.ts";

export interface RpcClient {
  readonly transport: RpcTransport["kind"];
  call<N extends RpcName>(name: N, args: RpcArgs<N>): Promise<RpcRow<N>[]>;
  close(): Promise<void>;
}

/** Validates arguments before they leave and every row that comes back. */
export function createRpcClient(
  transport: RpcTransport,
  contract: RpcContract = rpcContract,
): RpcClient {
  return {
    transport: transport.kind,
    async call(name, args) {
      const def = contract[name];
      const parsedArgs = def.args.safeParse(args);
      if (!parsedArgs.success) {
        const fields = parsedArgs.error.issues.map((i) => i.path.join(".") || "(root)").join(", ");
        throw new InvalidArgumentsError(name, "invalid_arguments", `invalid arguments: ${fields}`);
      }
      const rows = await transport.call(name, parsedArgs.data);
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
