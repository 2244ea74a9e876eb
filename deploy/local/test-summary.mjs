// Prints the closing line of a test run from vitest's JSON report: "tests: N passed, N failed".
// Exits non-zero when the report is missing, counts no test, or counts a failure.
import { readFileSync } from "node:fs";

const file = process.argv[2];
let report;
try {
  report = JSON.parse(readFileSync(file, "utf8"));
} catch (error) {
  process.stderr.write(`kruzhok: no test report at ${file}: ${error.message}\n`);
  process.exit(1);
}
const passed = report.numPassedTests ?? 0;
const failed = report.numFailedTests ?? 0;
const skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
const brokenFiles = (report.testResults ?? []).filter((r) => r.status === "failed" && (r.assertionResults ?? []).length === 0).length;
process.stdout.write(`\ntests: ${passed} passed, ${failed + brokenFiles} failed${skipped ? `, ${skipped} skipped` : ""}\n`);
process.exit(failed + brokenFiles > 0 || passed === 0 ? 1 : 0);
