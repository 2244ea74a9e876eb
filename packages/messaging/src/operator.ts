import { parseArgs } from "node:util";
import { createPool, withDatabase } from "@kruzhok/postgres";
import { listDeadLetters, redriveDeadLetters } from "./dead-letters";
import { createKafka, parseBrokers } from "./kafka";
import { listParked, requestRedrive } from "./parked";

// The operator's commands over one service's parked and dead-lettered events (`kruzhok parked …` and
// `kruzhok dead-letters …`, packages/cli, run them). They talk to the service's database and the broker only: parked
// events are handled again by the running service's consumer runner, which alone has the handlers.

export const OPERATOR_USAGE = `usage: kruzhok <parked|dead-letters> <list|redrive> --service <name> [flags]

  parked list          open parked events of the service's consumer (--all: resolved ones too)
  parked redrive       ask the running service to handle them again (--topic, --key, --id narrow it;
                       a key's parked events go together, in order); see the result with parked list
  dead-letters list    dead letters the consumer sent for --topic, and what became of each
  dead-letters redrive republish them to --topic after the fix (--offset picks some)

  --service <name>      the service: its database and consumer group are named for it
  --database-url <url>  the service's database (default: DATABASE_URL with the service's database)
  --consumer <group>    the consumer group (default: KAFKA_TOPIC_PREFIX + the service's name)
  --topic <topic>       the consumed topic, as the consumer names it (with any prefix)
  --key <key>           parked: the message key (aggregate id)
  --id <n>              parked redrive: the chain of this parked row (repeatable)
  --offset <n>          dead-letters redrive: this offset of the dead-letter topic (repeatable)

environment: DATABASE_URL, KAFKA_BROKERS (dead-letters), KAFKA_TOPIC_PREFIX
prints one JSON object per line; never an event's payload`;

/** Wrong arguments: the message and the usage go to the operator. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

export interface OperatorCommand {
  subject: "parked" | "dead-letters";
  action: "list" | "redrive";
  databaseUrl: string;
  consumer: string;
  kafkaBrokers: string[] | undefined;
  topic: string | undefined;
  key: string | undefined;
  ids: number[] | undefined;
  offsets: string[] | undefined;
  all: boolean;
}

/** Pure: the command the arguments and environment describe, or a UsageError saying what is wrong. */
export function parseOperatorCommand(argv: readonly string[], env: Readonly<Record<string, string | undefined>>): OperatorCommand {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: true,
      options: {
        service: { type: "string" },
        "database-url": { type: "string" },
        consumer: { type: "string" },
        topic: { type: "string" },
        key: { type: "string" },
        id: { type: "string", multiple: true },
        offset: { type: "string", multiple: true },
        all: { type: "boolean", default: false },
      },
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  const [subject, action, ...rest] = positionals;
  if (subject !== "parked" && subject !== "dead-letters") throw new UsageError("the first word is parked or dead-letters");
  if (action !== "list" && action !== "redrive") throw new UsageError("the second word is list or redrive");
  if (rest.length > 0) throw new UsageError(`unexpected ${rest.join(" ")}`);

  const service = values.service;
  const databaseUrl = values["database-url"] ?? (service && env.DATABASE_URL ? withDatabase(env.DATABASE_URL, service) : undefined);
  if (!databaseUrl) throw new UsageError("give --service with DATABASE_URL set, or --database-url");
  const consumer = values.consumer ?? (service ? `${env.KAFKA_TOPIC_PREFIX ?? ""}${service}` : undefined);
  if (!consumer) throw new UsageError("give --service or --consumer");

  const ids = values.id?.map((id) => {
    if (!/^\d+$/.test(id)) throw new UsageError(`--id ${id} is not a parked row's id`);
    return Number(id);
  });
  if (ids && !(subject === "parked" && action === "redrive")) throw new UsageError("--id is for parked redrive");
  if (values.offset && !(subject === "dead-letters" && action === "redrive")) throw new UsageError("--offset is for dead-letters redrive");
  if (values.key !== undefined && subject !== "parked") throw new UsageError("--key is for parked events");
  if (values.offset?.some((offset) => !/^(\d+:)?\d+$/.test(offset))) throw new UsageError("--offset is <offset> or <partition>:<offset>");

  let kafkaBrokers: string[] | undefined;
  if (subject === "dead-letters") {
    if (!values.topic) throw new UsageError("dead-letters needs --topic (the consumed topic; its .dlq is read)");
    if (!env.KAFKA_BROKERS) throw new UsageError("dead-letters needs KAFKA_BROKERS");
    kafkaBrokers = parseBrokers(env.KAFKA_BROKERS);
  }
  return {
    subject,
    action,
    databaseUrl,
    consumer,
    kafkaBrokers,
    topic: values.topic,
    key: values.key,
    ids,
    offsets: values.offset,
    all: values.all ?? false,
  };
}

/** Run one command, writing its lines through `write`. */
export async function runOperatorCommand(command: OperatorCommand, write: (line: string) => void): Promise<void> {
  const out = (value: unknown) => write(JSON.stringify(value));
  const pool = createPool({ connectionString: command.databaseUrl, max: 2, applicationName: "kruzhok-operator" });
  try {
    const filter = {
      ...(command.topic !== undefined && { topic: command.topic }),
      ...(command.key !== undefined && { key: command.key }),
      ...(command.ids !== undefined && { ids: command.ids }),
    };
    if (command.subject === "parked") {
      if (command.action === "list") {
        for (const event of await listParked(pool, command.consumer, { ...filter, includeResolved: command.all })) out(event);
      } else {
        const requested = await requestRedrive(pool, command.consumer, filter);
        out({
          consumer: command.consumer,
          redriveRequested: requested.events,
          chains: requested.chains,
          note: "the running service handles them on its next sweep; `parked list --all` shows how each ended",
        });
      }
      return;
    }
    const topic = command.topic ?? "";
    const kafka = createKafka({ brokers: command.kafkaBrokers ?? [], clientId: "kruzhok-operator" });
    if (command.action === "list") {
      for (const letter of await listDeadLetters(kafka, pool, { topic, consumer: command.consumer })) out(letter);
    } else {
      const result = await redriveDeadLetters(kafka, pool, {
        topic,
        consumer: command.consumer,
        ...(command.offsets !== undefined && { dlqOffsets: command.offsets }),
      });
      for (const letter of result.republished) out({ republished: true, ...letter });
      for (const letter of result.skipped) out({ republished: false, ...letter });
      out({ consumer: command.consumer, topic, republished: result.republished.length, skipped: result.skipped.length });
    }
  } finally {
    await pool.end();
  }
}
