/**
 * Composition root for the durable side: one Inngest client, the list of
 * functions it serves, and where it serves them. Functions receive their
 * dependencies here; nothing below imports a singleton.
 */
import type { InngestFunction } from "inngest";
import type { AppInngest } from "./src/inngest/client.ts";
import type { RpcClient } from "./src/db/rpc/rpc-client.ts";

export { INNGEST_APP_ID, createInngestClient } from "./src/inngest/client.ts";

export const INNGEST_SERVE_PATH = "/api/inngest";

export interface FunctionDeps {
  rpc: RpcClient;
}

export function createFunctions(_client: AppInngest, _deps: FunctionDeps): InngestFunction.Any[] {
  return [];
}
