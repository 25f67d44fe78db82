/** A start-up problem the operator can fix; its message is one sentence saying how, shown without a stack. */
export class EmbeddedPostgresError extends Error {
  override name = "EmbeddedPostgresError";
}
