import { Inngest, type Logger } from "inngest";
import { type Env, inngestDevMode } from "../config/env.ts";
import { CredentialFirewall } from "../security/credential-firewall.ts";
import { StacklessErrors } from "./stackless-errors.ts";

export const INNGEST_APP_ID = "credential-free-jobs";

export interface InngestClientOptions {
  env: Pick<
    Env,
    | "INNGEST_DEV"
    | "INNGEST_SIGNING_KEY"
    | "INNGEST_SIGNING_KEY_FALLBACK"
    | "INNGEST_EVENT_KEY"
    | "INNGEST_BASE_URL"
    | "NODE_ENV"
  >;
  logger?: Logger;
  /** Overrides INNGEST_BASE_URL, e.g. to point at a self-hosted server or a test fake. */
  baseUrl?: string;
  fetch?: typeof fetch;
}

export { inngestDevMode as isInngestDev } from "../config/env.ts";

export function createInngestClient(options: InngestClientOptions) {
  const { env } = options;
  const baseUrl = options.baseUrl ?? env.INNGEST_BASE_URL;
  return new Inngest({
    id: INNGEST_APP_ID,
    isDev: inngestDevMode(env),
    // The firewall last, so it sees what every other middleware produced before it leaves.
    middleware: [StacklessErrors, CredentialFirewall],
    ...(env.INNGEST_SIGNING_KEY ? { signingKey: env.INNGEST_SIGNING_KEY } : {}),
    ...(env.INNGEST_SIGNING_KEY_FALLBACK
      ? { signingKeyFallback: env.INNGEST_SIGNING_KEY_FALLBACK }
      : {}),
    ...(env.INNGEST_EVENT_KEY ? { eventKey: env.INNGEST_EVENT_KEY } : {}),
    ...(baseUrl ? { baseUrl } : {}),
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
  });
}

export type AppInngest = ReturnType<typeof createInngestClient>;
