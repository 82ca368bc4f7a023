/**
 * `npm run gen:types`: migrates a throwaway embedded database and writes shared/src/database.types.ts.
 * tests/platform/database-types.db.test.ts fails when the file is not what this would write.
 */
import fs from "node:fs";
import path from "node:path";
import { createLogger, freePort, startStack } from "../local-supabase/src/index.ts";
import { generateDatabaseTypes, TYPES_FILE } from "./database-types.ts";

const dataDir = path.resolve(import.meta.dirname, "..", ".data", "gen-types");
fs.rmSync(dataDir, { recursive: true, force: true });
const stack = await startStack({ dataDir, apiPort: 0, dbPort: await freePort(), log: createLogger("gen-types", "warn") });
try {
  const types = await generateDatabaseTypes(stack.dbUrl);
  const before = fs.existsSync(TYPES_FILE) ? fs.readFileSync(TYPES_FILE, "utf8") : "";
  fs.writeFileSync(TYPES_FILE, types);
  console.log(before === types ? `${path.relative(process.cwd(), TYPES_FILE)} is current` : `wrote ${path.relative(process.cwd(), TYPES_FILE)}`);
} finally {
  await stack.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
}
