// `kruzhok`: the operator's command line. One line per failure saying what to do; exit codes:
// 0 done, 1 failed (or a check found a difference), 2 wrong arguments or rows refused.
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { OPERATOR_USAGE, UsageError, parseOperatorCommand, runOperatorCommand } from "@kruzhok/messaging";
import { Stop, serviceUrl, type ServiceName } from "./client";
import { importChildren } from "./commands/import-children";
import { checkQueues, exportRegisters, exportStatistics, rebuildQueues, verifyLedger, type Connection, type Scope } from "./commands/services";
import { mintToken } from "./commands/token";

const env = process.env;
let exitCode = 0;

const program = new Command("kruzhok")
  .description("Kruzhok's operator command line: imports, queues, dead letters, the ledger, exports, development tokens")
  .option("--registry-url <url>", "the registry (env REGISTRY_URL, default http://127.0.0.1:3001)")
  .option("--enrollment-url <url>", "enrollment (env ENROLLMENT_URL, default http://127.0.0.1:3003)")
  .option("--payments-url <url>", "payments (env PAYMENTS_URL, default http://127.0.0.1:3005)")
  .option("--statistics-url <url>", "statistics (env STATISTICS_URL, default http://127.0.0.1:3006)")
  .option("--token <jwt>", "act with this token (env KRUZHOK_TOKEN); without one, a development token for the role the command needs, which only services in development mode accept")
  .option("--lang <ru|kk|en>", "the language of the services' answers", "ru")
  .showHelpAfterError("(kruzhok --help lists the commands)")
  .exitOverride();

function connection(): Connection {
  const o = program.opts<{ registryUrl?: string; enrollmentUrl?: string; paymentsUrl?: string; statisticsUrl?: string; token?: string; lang: string }>();
  const url = (service: ServiceName, given: string | undefined) => serviceUrl(service, given, env);
  return {
    urls: { registry: url("registry", o.registryUrl), enrollment: url("enrollment", o.enrollmentUrl), payments: url("payments", o.paymentsUrl), statistics: url("statistics", o.statisticsUrl) },
    ...(o.token !== undefined && { token: o.token }),
    lang: o.lang,
  };
}

const scopeOptions = (command: Command) =>
  command.option("-m, --municipality <id|code>", "one municipality: its id or 4-digit code").option("-r, --region <code>", "a whole region, by its code (a region official's token)");

const year = (text: string) => {
  if (!/^\d{4}$/.test(text)) throw new InvalidArgumentError("a year such as 2026");
  return Number(text);
};

// import children FILE.csv
program
  .command("import")
  .description("bulk imports")
  .command("children")
  .description("import a municipality's children from a CSV file (the office's import: bad rows by line, the rest registered; run again after fixing, the registered count as present)")
  .argument("<file>", "the CSV file (header as on the office's import page; ; or , separated; UTF-8)")
  .requiredOption("-m, --municipality <id|code>", "the municipality: its id or 4-digit code")
  .addOption(new Option("--role <role>", "whose development token").choices(["operator", "municipality"]).default("operator"))
  .option("--basis <basis>", 'an operator\'s basis, e.g. "written_request; ref=ВХ-12"')
  .option("--json", "the final report as JSON on stdout", false)
  .action(async (file: string, o: { municipality: string; role: "operator" | "municipality"; basis?: string; json: boolean }) => {
    const c = connection();
    exitCode = await importChildren(file, { ...o, lang: c.lang, registryUrl: c.urls.registry, ...(c.token !== undefined && { token: c.token }) }, env);
  });

const queues = program.command("queues").description("enrollment's queue index in Redis");
scopeOptions(queues.command("rebuild").description("copy the queue index again from Postgres (a municipality's, or a region's every one)")).action(async (o: Scope) => {
  exitCode = await rebuildQueues(o, connection(), env);
});
scopeOptions(queues.command("check").description("compare the queue index with Postgres entry by entry; exit 1 when they differ")).action(async (o: Scope) => {
  exitCode = await checkQueues(o, connection(), env);
});

// Parked and dead-lettered events: the messaging package's operator commands, against the
// service's database and the broker (DATABASE_URL, KAFKA_BROKERS).
for (const subject of ["dead-letters", "parked"] as const) {
  program
    .command(subject)
    .description(subject === "parked" ? "events a consumer parked (list, redrive); needs DATABASE_URL" : "a consumer's dead-letter topic (list, redrive); needs DATABASE_URL and KAFKA_BROKERS")
    .argument("<action>", "list or redrive")
    .argument("[flags...]", "--service <name> --topic <topic> --key <id> --id <n> --offset <p:o> --all")
    .allowUnknownOption()
    .helpOption(false)
    .addHelpText("after", `\n${OPERATOR_USAGE.replace(/operator-cli\.ts/g, "kruzhok")}`)
    .action(async (action: string, flags: string[]) => {
      const command = parseOperatorCommand([subject, action, ...flags], env);
      await runOperatorCommand(command, (line) => process.stdout.write(`${line}\n`));
    });
}

program
  .command("ledger")
  .description("payments' ledger")
  .command("verify")
  .description("check a municipality's books of a year (debits equal credits, no balance below zero, bills and registers in step); exit 1 with the first violation")
  .requiredOption("-m, --municipality <id|code>", "the municipality: its id or 4-digit code")
  .requiredOption("-y, --year <year>", "the year", year)
  .action(async (o: { municipality: string; year: number }) => {
    exitCode = await verifyLedger({ municipality: o.municipality }, o.year, connection(), env);
  });

const exports = program.command("export").description("files for the accounts and the ministry");
exports
  .command("registers")
  .description("each payment register of a municipality (of a month) as a file in a folder")
  .requiredOption("-m, --municipality <id|code>", "the municipality: its id or 4-digit code")
  .option("--month <YYYY-MM>", "only this month's registers")
  .addOption(new Option("--format <format>", "file format").choices(["csv", "xlsx", "json"]).default("csv"))
  .option("--dir <folder>", "where the files go", ".")
  .action(async (o: { municipality: string; month?: string; format: "csv" | "xlsx" | "json"; dir: string }) => {
    exitCode = await exportRegisters({ municipality: o.municipality }, { format: o.format, dir: o.dir, ...(o.month !== undefined && { month: o.month }) }, connection(), env);
  });
scopeOptions(exports.command("statistics").description("the monthly indicator report as of a date (small cells suppressed), CSV or XLSX"))
  .requiredOption("--as-of <YYYY-MM-DD>", "the report's date: its month up to this day")
  .addOption(new Option("--format <format>", "file format").choices(["csv", "xlsx"]).default("csv"))
  .option("-o, --output <file>", "the file (default: the name statistics gives it)")
  .action(async (o: Scope & { asOf: string; format: "csv" | "xlsx"; output?: string }) => {
    exitCode = await exportStatistics(o, { asOf: o.asOf, format: o.format, ...(o.output !== undefined && { file: o.output }) }, connection(), env);
  });

program
  .command("token")
  .description("mint a development token (services in AUTH_MODE=development only); prints just the token, so TOKEN=$(kruzhok token …) works")
  .requiredOption("--role <role>", "guardian, provider, operator, municipality, region or ministry")
  .option("--municipality <uuid>", "the municipality the role acts in")
  .option("--provider <uuid>", "the provider (role provider)")
  .option("--guardian <uuid>", "the guardian (role guardian)")
  .option("--region <code>", "the region a region official governs, or a ministry's one region")
  .option("--all-regions", "a federal ministry: every region")
  .option("--subject <id>", "the subject (default: the guardian or provider id, else a random uuid)")
  .option("--ttl <duration>", "lifetime, e.g. 1h (services refuse more than AUTH_MAX_TOKEN_LIFETIME_S)", "1h")
  .option("--issuer <iss>", "issuer claim")
  .option("--audience <aud>", "audience claim")
  .action(async (o: Parameters<typeof mintToken>[0]) => {
    process.stdout.write(`${await mintToken(o, env)}\n`);
  });

try {
  await program.parseAsync(process.argv);
  process.exitCode = exitCode;
} catch (error) {
  if (error instanceof CommanderError) {
    // Help and version exit 0; a wrong argument was already told by commander.
    process.exitCode = error.exitCode === 0 ? 0 : 2;
  } else if (error instanceof Stop) {
    process.stderr.write(`kruzhok: ${error.message}\n`);
    process.exitCode = error.exitCode;
  } else if (error instanceof UsageError) {
    process.stderr.write(`kruzhok: ${error.message} (kruzhok ${process.argv[2] ?? ""} --help)\n`);
    process.exitCode = 2;
  } else {
    process.stderr.write(`kruzhok: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  }
}
