import path from "node:path";
import { parseArgs } from "node:util";
import { z } from "zod";
import { authKeySource } from "../src/auth/auth-key-source.ts";
import { DEV_SECRET_FILE } from "../src/auth/local-dev-secret.ts";
import { mintDevToken } from "../src/auth/mint-dev-token.ts";
import { loadEnvOrExit } from "../src/config/load-env.ts";

/**
 * Mints a local access token for calling server actions without a browser:
 *   TOKEN=$(npm run -s dev:token -- --user <uuid> --github-login <login> --github-id <id>)
 * Only the token goes to stdout, so command substitution captures exactly it.
 */
const USAGE =
  "usage: npm run -s dev:token -- --user <uuid> --github-login <login> --github-id <id> [--ttl 3600]";
function fail(message: string, code: number): never {
  process.stderr.write(`[dev-token] ${message}\n`);
  process.exit(code);
}

const argsSchema = z.object({
  user: z.uuid({
    error:
      "--user must be the user's UUID (auth.users.id), e.g. 11111111-1111-4111-8111-111111111111",
  }),
  "github-login": z
    .string({ error: "--github-login is required" })
    .regex(
      /^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$/,
      "--github-login must be a GitHub login: letters, digits and single inner hyphens, at most 39",
    ),
  "github-id": z
    .string({ error: "--github-id is required" })
    .regex(/^[1-9][0-9]{0,15}$/, "--github-id must be the numeric GitHub user id, e.g. 5001001"),
  ttl: z.coerce
    .number({ error: "--ttl must be whole seconds, 60 to 86400" })
    .int()
    .min(60)
    .max(86_400)
    .default(3600),
});

let raw;
try {
  raw = parseArgs({
    options: {
      user: { type: "string" },
      "github-login": { type: "string" },
      "github-id": { type: "string" },
      ttl: { type: "string" },
    },
    strict: true,
  }).values;
} catch (err) {
  fail(`${(err as Error).message}\n${USAGE}`, 64);
}
const parsed = argsSchema.safeParse(raw);
if (!parsed.success)
  fail(`${parsed.error.issues.map((issue) => issue.message).join("\n[dev-token] ")}\n${USAGE}`, 64);
const args = parsed.data;

// Same .env and validation as the service (src/main.ts), so both pick the same secret.
const env = loadEnvOrExit();
// A token minted with a production secret is a real credential for any user.
if (env.NODE_ENV === "production") fail("refusing to mint tokens with NODE_ENV=production", 1);

const source = await authKeySource(env);
if (source.kind === "jwks") {
  fail(
    "SUPABASE_URL is set without SUPABASE_JWT_SECRET, so the service verifies tokens with the project's JWKS, whose private keys only Supabase holds. Set SUPABASE_JWT_SECRET, or sign in through Supabase for a real token.",
    1,
  );
}

const token = await mintDevToken({
  secret: source.secret,
  issuer: source.issuer,
  userId: args.user,
  githubLogin: args["github-login"],
  githubId: args["github-id"],
  ttlSec: args.ttl,
});
process.stdout.write(`${token}\n`);

const signedWith =
  source.from === "local-dev-secret"
    ? path.join(env.EMBEDDED_PG_DIR, DEV_SECRET_FILE)
    : "SUPABASE_JWT_SECRET";
const expires = new Date(Date.now() + args.ttl * 1000).toISOString();
process.stderr.write(
  `[dev-token] token for ${args["github-login"]} (${args.user}), signed with ${signedWith}, expires ${expires}\n` +
    `[dev-token] call an action: curl -X POST -H "Authorization: Bearer $TOKEN" http://${env.HOST}:${env.PORT}/api/actions/<name> -d '{}'\n` +
    "[dev-token] the user must exist in the database: npm run db:seed creates 11111111-1111-4111-8111-111111111111 (octo-ada, github id 5001001) and 22222222-2222-4222-8222-222222222222 (octo-linus, 5001002)\n",
);
