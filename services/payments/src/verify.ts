// `pnpm --filter @kruzhok/payments verify <municipalityId> <year>`: checks the books of a
// municipality's year against payments' database (DATABASE_URL) and exits non-zero with the
// first violation. An entry point, like main.ts: it alone reads the environment here.
import { createPool } from "@kruzhok/postgres";
import { verifyBooks } from "./usecases/verify";

const [municipalityId, yearText] = process.argv.slice(2);
const year = Number(yearText);
const url = process.env.DATABASE_URL;
if (!municipalityId || !Number.isInteger(year) || !url) {
  process.stderr.write("usage: DATABASE_URL=... verify <municipalityId> <year>\n");
  process.exit(2);
}
const pool = createPool({ connectionString: url, max: 2 });
try {
  const violation = await verifyBooks(pool, municipalityId, year);
  if (violation) {
    process.stderr.write(`verify: ${violation}\n`);
    process.exitCode = 1;
  } else {
    process.stdout.write(`verify: municipality ${municipalityId} ${year}: the books hold\n`);
  }
} finally {
  await pool.end();
}
