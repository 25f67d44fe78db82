import { createPublicKey, randomBytes, type KeyObject } from "node:crypto";
import { jwtVerify } from "jose";

/**
 * The fake GitHub's credential checks, as strict as the real one where it
 * matters to us: exact scheme words (Octokit sends lowercase `bearer`/`token`),
 * a JWT signed by the App's key, and only tokens it issued and that still live.
 */

export interface IssuedToken {
  token: string;
  installationId: number;
  expiresAt: Date;
}

/** `length` characters of [A-Za-z0-9], the alphabet of GitHub's token bodies. */
export function randomAlphanumeric(length: number): string {
  let out = "";
  while (out.length < length)
    out += randomBytes(length)
      .toString("base64")
      .replace(/[^A-Za-z0-9]/g, "");
  return out.slice(0, length);
}

/** GitHub refuses App JWTs that live longer than 10 minutes or were issued in the future (60 s drift allowed). */
const MAX_JWT_LIFETIME_S = 600;
const ALLOWED_DRIFT_S = 60;

export function createAppJwtVerifier(appId: string, publicKeyPem: string) {
  const key: KeyObject = createPublicKey(publicKeyPem);
  /** The JWT when `authorization` is exactly `bearer <valid App JWT>`, else why not. */
  return async function verify(
    authorization: string | null,
  ): Promise<{ jwt: string } | { problem: string }> {
    const match = /^bearer (\S+)$/.exec(authorization ?? "");
    if (!match?.[1]) return { problem: "access_tokens without `bearer <JWT>`" };
    try {
      const { payload } = await jwtVerify(match[1], key, { algorithms: ["RS256"] });
      const now = Math.floor(Date.now() / 1000);
      const { iat, exp, iss } = payload;
      if (String(iss) !== appId) return { problem: "JWT iss is not the App id" };
      if (typeof iat !== "number" || typeof exp !== "number")
        return { problem: "JWT without iat/exp" };
      if (iat > now + ALLOWED_DRIFT_S || exp - iat > MAX_JWT_LIFETIME_S)
        return { problem: "JWT iat/exp out of range" };
      return { jwt: match[1] };
    } catch (error) {
      return { problem: `JWT refused: ${(error as Error).name}` };
    }
  };
}

/** The issued, unexpired token when `authorization` is exactly `token <it>`. */
export function findIssuedToken(
  issued: readonly IssuedToken[],
  authorization: string | null,
): IssuedToken | undefined {
  const match = /^token (\S+)$/.exec(authorization ?? "");
  const found = match && issued.find((t) => t.token === match[1]);
  return found && found.expiresAt.getTime() > Date.now() ? found : undefined;
}
