import { Middleware } from "inngest";

const MAX_CAUSES = 5;

/**
 * Empties the stack of a thrown error and of its causes, in place: the SDK compares a
 * rethrown step error by identity to decide retriability, so the same object must go on.
 */
export function dropStacks(thrown: unknown): unknown {
  let current: unknown = thrown;
  for (let depth = 0; depth <= MAX_CAUSES && current instanceof Error; depth++) {
    try {
      Object.defineProperty(current, "stack", {
        value: "",
        enumerable: false,
        writable: true,
        configurable: true,
      });
    } catch {
      // A frozen error keeps its stack; nothing the SDK ships throws one.
    }
    current = current.cause;
  }
  return thrown;
}

/**
 * Keeps stacks (absolute paths, dependency layout) out of /api/inngest answers in every
 * mode, and out of what Inngest stores: name and message still reach it.
 */
export class StacklessErrors extends Middleware.BaseMiddleware {
  readonly id = "stackless-errors";

  // The SDK serializes stack and cause chain into the response body and then signs it, so
  // stacks must go before serialization (inngest/src/helpers/errors.ts serializeError).
  override async wrapStepHandler({ next }: Middleware.WrapStepHandlerArgs): Promise<unknown> {
    try {
      return await next();
    } catch (err) {
      throw dropStacks(err);
    }
  }

  // Also sees errors thrown outside steps, and a failed step's error rethrown into the run.
  override async wrapFunctionHandler({
    next,
  }: Middleware.WrapFunctionHandlerArgs): Promise<unknown> {
    try {
      return await next();
    } catch (err) {
      throw dropStacks(err);
    }
  }
}
