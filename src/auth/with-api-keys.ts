import { isApiKeyShaped } from "../api-keys/api-key-format.ts";
import type { SessionVerifier } from "./session.ts";

/**
 * One verifier for `Authorization: Bearer …`: a `cfk_` token is an API key (never tried
 * as a JWT), anything else a user access token. Each sets actorSource itself.
 */
export function withApiKeys(users: SessionVerifier, apiKeys: SessionVerifier): SessionVerifier {
  return {
    verify: (token) => (isApiKeyShaped(token) ? apiKeys.verify(token) : users.verify(token)),
  };
}
