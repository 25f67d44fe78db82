import type { Sql } from "postgres";

type Db = Sql<{ bigint: number }>;

/**
 * Runs `fn` inside a transaction as an API role with the given JWT claims, then rolls
 * back. `arrange` runs first, as the connecting superuser, inside the same transaction.
 */
export async function asRole<T>(
  sql: Db,
  role: "anon" | "authenticated" | "service_role",
  claims: object,
  fn: (tx: Sql) => Promise<T>,
  arrange?: (tx: Sql) => Promise<unknown>,
): Promise<T> {
  return rolledBack(sql, async (tx) => {
    await arrange?.(tx);
    await tx`select set_config('request.jwt.claims', ${JSON.stringify(claims)}, true)`;
    await tx.unsafe(`set local role ${role}`);
    return fn(tx);
  });
}

/** Runs `fn` inside a transaction on one connection, then rolls it back, whatever happened. */
export async function rolledBack<T>(sql: Db, fn: (tx: Sql) => Promise<T>): Promise<T> {
  const reserved = await sql.reserve();
  try {
    await reserved.unsafe("begin");
    return await fn(reserved);
  } finally {
    await reserved.unsafe("rollback").catch(() => undefined);
    reserved.release();
  }
}

/** The SQLSTATE a query fails with, or "ok"; any other failure is rethrown. */
export function sqlState(query: Promise<unknown>): Promise<string> {
  return query.then(
    () => "ok",
    (e: unknown) => {
      if (e instanceof Error && "code" in e && typeof e.code === "string") return e.code;
      throw e;
    },
  );
}
