import type { z } from "zod";

/** One Postgres function: its argument names/types and the shape of each returned row. */
export interface RpcDefinition<
  A extends z.ZodObject = z.ZodObject,
  R extends z.ZodType = z.ZodType,
> {
  args: A;
  row: R;
}

export function defineRpc<A extends z.ZodObject, R extends z.ZodType>(
  args: A,
  row: R,
): RpcDefinition<A, R> {
  return { args, row };
}
