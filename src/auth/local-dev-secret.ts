import { randomBytes } from "node:crypto";
import { access, link, mkdir, readFile, unlink, writeFile } from "node:fs/promises";
import path from "node:path";

export const DEV_SECRET_FILE = "dev-jwt-secret";
const MIN_CHARS = 32;

/**
 * The HS256 secret for local development, kept next to the embedded database
 * (`<dir>/dev-jwt-secret`) so the service and `npm run dev:token` agree on it
 * without anyone copying a secret into .env. Never used in production.
 */
export async function localDevSecret(dir: string): Promise<string> {
  const file = path.join(path.resolve(dir), DEV_SECRET_FILE);
  if (!(await exists(file))) await create(file);
  const secret = (await readFile(file, "utf8")).trim();
  if (secret.length < MIN_CHARS) {
    throw new Error(
      `[auth] ${file} is shorter than ${MIN_CHARS} characters; delete it to have a new one made (dev tokens minted with it stop verifying)`,
    );
  }
  return secret;
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    (err: NodeJS.ErrnoException) => {
      if (err.code === "ENOENT") return false;
      throw err;
    },
  );
}

async function create(file: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  // Write a complete file under a private name, then link it into place: link()
  // fails if the name exists, so two processes starting at once agree on one
  // secret and neither can read a half-written file.
  const draft = `${file}.${process.pid}.${randomBytes(4).toString("hex")}`;
  await writeFile(draft, `${randomBytes(32).toString("base64url")}\n`, { mode: 0o600, flag: "wx" });
  try {
    await link(draft, file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
  } finally {
    await unlink(draft);
  }
}
