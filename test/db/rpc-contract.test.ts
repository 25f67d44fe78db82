import { describe, expect, it } from "vitest";
import type { z } from "zod";
import { rpcContract } from "../../src/db/rpc/contract.ts";
import { useTestDatabase } from "../support/pg.ts";

const db = useTestDatabase();

interface Parameter {
  fn: string;
  signature: string;
  mode: "IN" | "OUT";
  name: string;
  type: string;
  position: number;
}

/** SQL types a zod schema of the contract may stand for. */
function sqlTypesFor(schema: z.ZodType): string[] {
  const def = schema.def as { type: string; innerType?: z.ZodType; format?: string };
  switch (def.type) {
    case "nullable":
    case "optional":
      return sqlTypesFor(def.innerType!);
    case "number":
      return (schema as z.ZodNumber).format === "safeint"
        ? ["bigint", "integer", "smallint"]
        : ["numeric", "real", "double precision"];
    case "string":
      return (schema as z.ZodString).format === "uuid" ? ["uuid"] : ["text"];
    case "enum":
      return ["text"];
    case "record":
      return ["jsonb"];
    case "boolean":
      return ["boolean"];
    case "array":
      // Arrays of objects travel as one JSON document; information_schema names every SQL
      // array type ARRAY (the element type is in element_types).
      return (schema as z.ZodArray<z.ZodType>).element.def.type === "object"
        ? ["jsonb"]
        : ["ARRAY"];
    case "date":
      return ["timestamp with time zone"];
    default:
      throw new Error(`no SQL type known for zod type ${def.type}`);
  }
}

function shapeOf(schema: z.ZodType): Record<string, z.ZodType> {
  return (schema as z.ZodObject).shape;
}

describe("the RPC contract matches the migrated database", () => {
  it("has one function per entry, with the same argument and result names and types", async () => {
    const params = await db.sql<Parameter[]>`
      select r.routine_name as fn,
             r.specific_name as signature,
             p.parameter_mode as mode,
             p.parameter_name as name,
             p.data_type as type,
             p.ordinal_position as position
        from information_schema.routines r
        join information_schema.parameters p
          on p.specific_schema = r.specific_schema and p.specific_name = r.specific_name
       where r.routine_schema = 'public'
       order by r.routine_name, p.ordinal_position`;
    // Functions without parameters or result columns have no rows above.
    const routines = await db.sql<{ fn: string; signature: string }[]>`
      select routine_name as fn, specific_name as signature
        from information_schema.routines where routine_schema = 'public'`;

    for (const [name, def] of Object.entries(rpcContract)) {
      const overloads = routines.filter((r) => r.fn === name);
      expect(overloads, `public.${name} exists exactly once`).toHaveLength(1);
      const mine = params.filter((p) => p.signature === overloads[0]!.signature);

      const args = mine.filter((p) => p.mode === "IN");
      const argShape = shapeOf(def.args);
      expect(
        args.map((p) => p.name),
        `${name} argument names, in order`,
      ).toEqual(Object.keys(argShape));
      for (const arg of args) {
        expect(sqlTypesFor(argShape[arg.name]!), `${name}(${arg.name})`).toContain(arg.type);
      }

      const columns = mine.filter((p) => p.mode === "OUT");
      const rowShape = shapeOf(def.row);
      expect(columns.map((p) => p.name).sort(), `${name} result columns`).toEqual(
        Object.keys(rowShape).sort(),
      );
      for (const column of columns) {
        expect(sqlTypesFor(rowShape[column.name]!), `${name} → ${column.name}`).toContain(
          column.type,
        );
      }
    }
  });
});
