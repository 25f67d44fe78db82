import postgres, { type Options, type Sql } from "postgres";

/**
 * int8 arrives as a string from postgres.js and as a number from PostgREST.
 * Parse to number so both transports return the same shapes; our ids stay far
 * below 2^53, and anything beyond fails loudly instead of losing precision.
 */
const safeBigint = {
  to: 20,
  from: [20],
  serialize: (value: number | bigint | string) => String(value),
  parse: (value: string) => {
    const n = Number(value);
    if (!Number.isSafeInteger(n))
      throw new RangeError(`[db] int8 value beyond Number.MAX_SAFE_INTEGER`);
    return n;
  },
};

export interface SqlClientOptions {
  max?: number;
  /**
   * Run every statement as this role (a startup parameter, so no extra round trip).
   * `service_role` makes the SQL transport see exactly the privileges PostgREST
   * gives the service-role key on Supabase.
   */
  role?: string;
  applicationName?: string;
}

export function createSql(url: string, options: SqlClientOptions = {}): Sql<{ bigint: number }> {
  const connection: Record<string, string> = {
    application_name: options.applicationName ?? "credential-free-jobs",
  };
  if (options.role) connection.role = options.role;
  const config: Options<{ bigint: typeof safeBigint }> = {
    max: options.max ?? 10,
    onnotice: () => undefined,
    connect_timeout: 10,
    idle_timeout: 30,
    types: { bigint: safeBigint },
    connection,
  };
  return postgres(url, config);
}
