import type { Logger } from "pino";
import type { z } from "zod";
import type { Session } from "../../auth/session.ts";

export interface ActionContext {
  /** From the verified access token; the only source of "who is calling". */
  session: Session;
  /** Bound to userId, action and requestId, so every line the action logs can be traced to its call. */
  logger: Logger;
}

export interface ActionDefinition<I extends z.ZodType = z.ZodType, O = unknown> {
  /**
   * Validates the JSON body after the router dropped SERVER_CONTROLLED_KEYS (`userId`,
   * `actor`, `verified`, …). Object inputs must be `.strict()` (checked at registration),
   * so any other unknown key is refused rather than silently ignored.
   */
  input: I;
  /** Nested body objects the router also drops server-controlled keys from (`properties`). */
  serverControlledIn?: readonly string[];
  /**
   * Only a person may do this (claiming work, say): the router answers any other session
   * (an automation API key, actorSource `api_key`) with 403 `human_only` before reading the
   * body or running.
   */
  humanOnly?: true;
  /** 202 for an action that only queues work (verification, say); 200 otherwise. */
  successStatus?: 202;
  run(ctx: ActionContext, input: z.output<I>): Promise<O>;
}

/** Identity at run time; exists so `input` types `run`'s argument. */
export function defineAction<I extends z.ZodType, O>(
  def: ActionDefinition<I, O>,
): ActionDefinition<I, O> {
  return def;
}
