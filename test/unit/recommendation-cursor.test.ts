import { describe, expect, it } from "vitest";
import { decodeCursor, encodeCursor } from "../../src/actions/recommendation-cursor.ts";

const b64 = (text: string) => Buffer.from(text, "utf8").toString("base64url");

describe("the list-recommendations cursor", () => {
  it("round-trips every safe id and is opaque base64url", () => {
    for (const id of [1, 42, 2 ** 31, Number.MAX_SAFE_INTEGER]) {
      const cursor = encodeCursor(id);
      expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(cursor).not.toContain(String(id));
      expect(decodeCursor(cursor)).toBe(id);
    }
  });

  it("refuses anything it did not produce", () => {
    const forged = [
      "",
      "!!!",
      b64("rec:"),
      b64("rec:0"),
      b64("rec:007"),
      b64("rec:-1"),
      b64("rec:1.5"),
      b64("rec:1 "),
      b64(`rec:${Number.MAX_SAFE_INTEGER + 2}`),
      b64("id:1"),
      b64("1"),
      `${encodeCursor(1)}=`,
      `${encodeCursor(1)}AA`,
      "A".repeat(41),
    ];
    for (const cursor of forged)
      expect(decodeCursor(cursor), JSON.stringify(cursor)).toBeUndefined();
  });
});
