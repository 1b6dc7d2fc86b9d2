import { it } from "vitest";
import { sql } from "drizzle-orm";
import { createTestDatabase } from "./harness";
import { postgresErrorCode } from "../../api/src/errors";

it("probe", async () => {
  const database = await createTestDatabase();
  try {
    await database.handle.db.execute(sql`select ${"a\u0000b"}::text as x`);
    console.log("no error");
  } catch (error) {
    console.log("code", postgresErrorCode(error), String(error), (error as any).cause && String((error as any).cause));
  }
  await database.drop();
}, 60000);
