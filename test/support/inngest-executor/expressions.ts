import { run } from "@bufbuild/cel";
import { InngestExecutorError } from "./types.ts";

/**
 * Inngest evaluates CEL. Only the two shapes the SDK itself generates or that
 * our functions use are modelled; anything else throws so a test can never
 * pass on an expression this executor silently misread.
 */
const PATH = String.raw`[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*`;
const EVENT_PATH = new RegExp(`^event\\.(${PATH})$`);
// What `step.waitForEvent({ match: "data.x" })` compiles to (InngestStepTools).
const MATCH_EXPRESSION = new RegExp(`^event\\.(${PATH}) == async\\.(${PATH})$`);

export function readPath(subject: unknown, path: string): unknown {
  let value = subject;
  for (const key of path.split(".")) {
    if (typeof value !== "object" || value === null) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

/** Function-level `idempotency` or `singleton` key: only a plain `event.a.b` path is modelled. */
export function eventKeyReader(
  functionId: string,
  option: string,
  expression: string | undefined,
): (event: unknown) => string | undefined {
  if (expression === undefined) return () => undefined;
  const path = EVENT_PATH.exec(expression.trim())?.[1];
  if (!path) {
    throw new InngestExecutorError(
      `function "${functionId}" has ${option} "${expression}"; only a plain event.<path> is modelled`,
    );
  }
  return (event) => JSON.stringify(readPath(event, path) ?? null);
}

/** `if` of a waitForEvent: `event` is the run's trigger, `async` the candidate. */
export function waitMatches(
  expression: string | undefined,
  trigger: unknown,
  candidate: unknown,
): boolean {
  if (expression === undefined) return true;
  const match = MATCH_EXPRESSION.exec(expression.trim());
  if (!match?.[1] || !match[2]) {
    throw new InngestExecutorError(
      `waitForEvent if "${expression}" is not modelled; use { match }`,
    );
  }
  const expected = readPath(trigger, match[1]);
  return (
    expected !== undefined &&
    JSON.stringify(expected) === JSON.stringify(readPath(candidate, match[2]))
  );
}

/**
 * A trigger's `if`, evaluated as CEL (what Inngest runs) by a conformance-tested evaluator.
 * An expression that does not evaluate to a boolean is an error here: Inngest would not
 * start the run, and a test must not pass on it.
 */
export function triggerCondition(
  functionId: string,
  expression: string,
): (event: unknown) => boolean {
  return (event) => {
    const result: unknown = run(expression, { event } as never);
    if (typeof result !== "boolean") {
      throw new InngestExecutorError(
        `function "${functionId}" trigger if "${expression}" did not evaluate to a boolean: ${String(result)}`,
      );
    }
    return result;
  };
}
