/**
 * Parked and dead-lettered events of one service's consumer, for an operator:
 *
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres KAFKA_BROKERS=127.0.0.1:9092 \
 *     bash deploy/local/pnpm.sh exec tsx packages/messaging/src/operator-cli.ts parked list --service enrollment
 *   … parked redrive --service enrollment --key <aggregate id>
 *   … dead-letters list --service enrollment --topic kruzhok.registry.v1
 *   … dead-letters redrive --service enrollment --topic kruzhok.registry.v1 --offset 12
 *
 * One JSON object per line on stdout; a wrong argument prints the usage on stderr, exit code 2;
 * a failure prints one line on stderr, exit code 1. See operator.ts and packages/messaging/README.md.
 */
import { OPERATOR_USAGE, UsageError, parseOperatorCommand, runOperatorCommand } from "./operator";

async function main(): Promise<void> {
  const command = parseOperatorCommand(process.argv.slice(2), process.env);
  await runOperatorCommand(command, (line) => process.stdout.write(`${line}\n`));
}

main().catch((error: unknown) => {
  if (error instanceof UsageError) {
    process.stderr.write(`operator-cli: ${error.message}\n${OPERATOR_USAGE}\n`);
    process.exitCode = 2;
  } else {
    process.stderr.write(`operator-cli: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  }
});
