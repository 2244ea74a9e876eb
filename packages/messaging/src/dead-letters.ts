import type { Kafka } from "kafkajs";
import { EventEnvelope, deadLetterTopic } from "@kruzhok/contracts";
import type { Queryable } from "@kruzhok/postgres";
import { readTopic, sendToTopic, type TopicMessage } from "./admin";

// Dead letters of one consumer: listed from `<topic>.dlq` (where the consumer runner sends what
// can never be handled, with `x-dlq-*` headers saying why) and redriven to the original topic
// once the cause is fixed (a consumer that learnt to read an event, a rule that was wrong).

/** A dead letter as an operator sees it: where it came from and why, never its payload. */
export interface DeadLetter {
  /** Where it sits on the dead-letter topic; `dlqOffset` picks it for a redrive. */
  dlqPartition: number;
  dlqOffset: string;
  /** Where the consumer read it. */
  topic: string;
  partition: number | null;
  offset: string | null;
  key: string | null;
  consumer: string | null;
  eventId: string | null;
  type: string | null;
  correlationId: string | null;
  reason: string | null;
  error: string | null;
  failedAt: string | null;
  /**
   * From the consumer's inbox: `dead_lettered` (still), `applied` (handled since: redriven),
   * `pending` (no record: redriven and not handled yet), `not_an_event` (bytes without an event id).
   */
  state: "dead_lettered" | "applied" | "pending" | "not_an_event";
}

interface RawLetter {
  letter: DeadLetter;
  message: TopicMessage;
}

/** The envelope's id, type and correlation id, when the bytes are an event's; nothing of its data. */
function envelopeFields(value: string | null): { eventId: string | null; type: string | null; correlationId: string | null } {
  try {
    const envelope = EventEnvelope.pick({ id: true, type: true, correlationId: true }).safeParse(JSON.parse(value ?? ""));
    if (envelope.success) return { eventId: envelope.data.id, type: envelope.data.type, correlationId: envelope.data.correlationId };
  } catch {
    // not JSON: not an event
  }
  return { eventId: null, type: null, correlationId: null };
}

async function readLetters(kafka: Kafka, db: Queryable, topic: string, consumer: string): Promise<RawLetter[]> {
  const messages = (await readTopic(kafka, deadLetterTopic(topic))).filter((message) => message.headers["x-dlq-consumer"] === consumer);
  const fields = messages.map((message) => envelopeFields(message.value));
  const ids = fields.map((field) => field.eventId).filter((id): id is string => id !== null);
  const { rows } = await db.query<{ event_id: string; outcome: "applied" | "dead_lettered" }>(
    `SELECT event_id, outcome FROM inbox WHERE consumer = $1 AND event_id = ANY($2::uuid[])`,
    [consumer, ids],
  );
  const outcomes = new Map(rows.map((row) => [row.event_id, row.outcome]));
  return messages.map((message, index) => {
    const { eventId, type, correlationId } = fields[index]!;
    const partition = message.headers["x-dlq-partition"];
    return {
      message,
      letter: {
        dlqPartition: message.partition,
        dlqOffset: message.offset,
        topic: message.headers["x-dlq-topic"] ?? topic,
        partition: partition === undefined ? null : Number(partition),
        offset: message.headers["x-dlq-offset"] ?? null,
        key: message.key,
        consumer: message.headers["x-dlq-consumer"] ?? null,
        eventId,
        type,
        correlationId,
        reason: message.headers["x-dlq-reason"] ?? null,
        error: message.headers["x-dlq-error"] ?? null,
        failedAt: message.headers["x-dlq-failed-at"] ?? null,
        state: eventId === null ? "not_an_event" : (outcomes.get(eventId) ?? "pending"),
      },
    };
  });
}

/** The dead letters `consumer` sent for `topic` (read from `<topic>.dlq`), oldest first, with what became of each. */
export async function listDeadLetters(kafka: Kafka, db: Queryable, options: { topic: string; consumer: string }): Promise<DeadLetter[]> {
  return (await readLetters(kafka, db, options.topic, options.consumer)).map((raw) => raw.letter);
}

/**
 * Send `consumer`'s dead letters of `topic` back to `topic` after the fix: those still dead-lettered,
 * or only the ones at `dlqOffsets` (`offset` or `partition:offset` on the dead-letter topic). The
 * consumer's inbox remembers a dead-lettered event so that a replay does not dead-letter it again;
 * that record is deleted first (in the service's database), or the consumer would skip the
 * republished event as a duplicate. A letter already applied is never sent again, so a second
 * redrive sends nothing; the one that comes back is applied once, by the inbox, whichever copy
 * arrives. Ordering: the event comes back after later events of its key, as it left them when it
 * was dead-lettered. Messages go back as text (read with admin.ts's `readTopic`): an event's JSON
 * is; bytes that are not UTF-8 do not survive, and were no event either.
 */
export async function redriveDeadLetters(
  kafka: Kafka,
  db: Queryable,
  options: { topic: string; consumer: string; dlqOffsets?: readonly string[] },
): Promise<{ republished: DeadLetter[]; skipped: DeadLetter[] }> {
  const { topic, consumer } = options;
  const picked = options.dlqOffsets && new Set(options.dlqOffsets);
  const letters = await readLetters(kafka, db, topic, consumer);
  const chosen = picked
    ? letters.filter(({ letter }) => picked.has(letter.dlqOffset) || picked.has(`${letter.dlqPartition}:${letter.dlqOffset}`))
    : letters;
  // Picked by offset, bytes that are not an event may go back too (a consumer that learnt to read them).
  const due = chosen.filter(({ letter }) => letter.state === "dead_lettered" || (picked !== undefined && letter.state === "not_an_event"));
  const skipped = chosen.filter((raw) => !due.includes(raw)).map((raw) => raw.letter);
  if (due.length === 0) return { republished: [], skipped };

  const ids = due.map(({ letter }) => letter.eventId).filter((id): id is string => id !== null);
  await db.query(`DELETE FROM inbox WHERE consumer = $1 AND event_id = ANY($2::uuid[]) AND outcome = 'dead_lettered'`, [consumer, ids]);
  await sendToTopic(
    kafka,
    topic,
    due.map(({ message, letter }) => ({
      key: message.key,
      value: message.value ?? "",
      headers: {
        ...Object.fromEntries(Object.entries(message.headers).filter(([name]) => !name.startsWith("x-dlq-"))),
        "x-redriven-from": `${deadLetterTopic(topic)}:${letter.dlqPartition}:${letter.dlqOffset}`,
      },
    })),
  );
  return { republished: due.map((raw) => raw.letter), skipped };
}
