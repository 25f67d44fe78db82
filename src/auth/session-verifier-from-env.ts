import type { Env } from "../config/env.ts";
import { authKeySource } from "./auth-key-source.ts";
import type { SessionVerifier } from "./session.ts";
import { createSessionVerifier } from "./session-verifier.ts";

/** The composition root's verifier: the key source the environment names (see authKeySource). */
export async function sessionVerifierFromEnv(
  env: Env,
  options: { dataDir?: string; allowAnonymous?: boolean } = {},
): Promise<SessionVerifier> {
  const source = await authKeySource(env, options);
  const common = { issuer: source.issuer, allowAnonymous: options.allowAnonymous ?? false };
  return source.kind === "secret"
    ? createSessionVerifier({ ...common, jwtSecret: source.secret })
    : createSessionVerifier({ ...common, jwksUrl: source.jwksUrl });
}
