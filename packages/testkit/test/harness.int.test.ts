import { randomUUID } from "node:crypto";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { z } from "zod";
import { defineEvent } from "@kruzhok/contracts";
import { buildApp, type HttpApp } from "@kruzhok/http";
import { createKafka, handlerFor, messagingMigrations, newEvent, sendToTopic } from "@kruzhok/messaging";
import { migrate, withDatabase, type Pool } from "@kruzhok/postgres";
import { eventHandled, serviceHarness, type Harness } from "../src";

// The shared harness on a service of two routes and one handler: what every service's fixture
// gets from it (its own database, tokens, the log lines, events handed to its handler directly or
// through a real consumer group) and that close leaves nothing behind.

const noteWritten = (topic: string) => defineEvent(topic, "test.note.written", 1, z.object({ noteId: z.uuid(), text: z.string().min(1) }));
const municipalityId = "0195f0a0-0000-7000-8000-000000000001";

interface Notes {
  /** Built once before the app: the service's own shared dependency. */
  counter: { built: number; stopped: number };
}

async function notesHarness(topic: string): Promise<Harness<Notes, HttpApp>> {
  return serviceHarness({
    service: "notes",
    isolation: "harness",
    poolSize: 4,
    migrate: (pool: Pool) => migrate(pool, [...messagingMigrations, { name: "0001_notes.sql", sql: "CREATE TABLE notes (id uuid PRIMARY KEY, text text NOT NULL);" }]),
    deps: () => ({ counter: { built: 1, stopped: 0 } }),
    app: async ({ pool, logger, auth, metrics }) => {
      const app = await buildApp({ service: "notes", version: "0.0.0", logger, auth, metrics });
      app.get("/notes/count", async () => {
        const { rows } = await pool.query<{ n: number }>("SELECT count(*)::int AS n FROM notes");
        return { count: rows[0]?.n ?? 0 };
      });
      app.get("/public/ping", { config: { public: true } }, (request) => {
        request.log.info({ child: { firstName: "Анна", lastName: "Петрова" } }, "ping with a careless line");
        return { pong: true };
      });
      return app;
    },
    handlers: () => [
      handlerFor(noteWritten(topic), async (event, { tx }) => {
        await tx.query("INSERT INTO notes (id, text) VALUES ($1, $2)", [event.data.noteId, event.data.text]);
      }),
    ],
    stop: ({ counter }) => void (counter.stopped += 1),
  });
}

describe("the shared harness of a service under test", () => {
  const infra = inject("infra");
  let h: Harness<Notes, HttpApp>;
  let topic: string;
  beforeAll(async () => {
    topic = `notes-${randomUUID()}`;
    h = await notesHarness(topic);
  });
  afterAll(async () => h?.close());

  it("answers with the app on its own database, tokens for any actor, and captures its log lines", async () => {
    expect((await h.app.inject({ method: "GET", url: "/notes/count" })).statusCode).toBe(401);
    const count = await h.app.inject({ method: "GET", url: "/notes/count", headers: await h.as({ role: "region", regionCode: "41" }) });
    expect(count.statusCode, count.body).toBe(200);
    expect(count.json()).toEqual({ count: 0 });
    expect(h.counter).toEqual({ built: 1, stopped: 0 });

    await h.app.inject({ method: "GET", url: "/public/ping" });
    const line = h.logs.find((text) => text.includes("ping with a careless line"));
    expect(line).toBeDefined();
    expect(line).not.toContain("Петрова");
  });

  it("hands an event to the service's handler in one transaction, and refuses one it has no handler for", async () => {
    const noteId = randomUUID();
    const eventId = await h.deliver(noteWritten(topic), { municipalityId, aggregateId: noteId }, { noteId, text: "delivered" });
    expect(eventId).toMatch(/^[0-9a-f-]{36}$/);
    expect((await h.pool.query("SELECT text FROM notes WHERE id = $1", [noteId])).rows).toEqual([{ text: "delivered" }]);
    const other = defineEvent(topic, "test.note.erased", 1, z.object({ noteId: z.uuid() }));
    await expect(h.deliver(other, { municipalityId, aggregateId: noteId }, { noteId })).rejects.toThrow(/no handler for test\.note\.erased/);
  });

  it("runs the handlers as a consumer group on real topics; the inbox tells when an event was handled", async () => {
    const prefixed = h.iso.topic(topic);
    const contract = noteWritten(prefixed);
    const consumer = await h.consume([{ topic: prefixed, partitions: 1 }]);
    const kafka = createKafka({ brokers: h.iso.kafkaBrokers, clientId: `${h.iso.id}-producer` });
    try {
      const noteId = randomUUID();
      const event = newEvent(contract, { municipalityId, aggregateId: noteId }, { noteId, text: "through Kafka" }, new Date());
      const poison = { ...newEvent(contract, { municipalityId, aggregateId: noteId }, { noteId, text: "x" }, new Date()), data: { noteId: "not-a-uuid" } };
      await sendToTopic(kafka, prefixed, [event, poison].map((e) => ({ key: noteId, value: JSON.stringify(e) })));
      expect(await consumer.handled(event.id)).toBe("applied");
      expect((await h.pool.query("SELECT text FROM notes WHERE id = $1", [noteId])).rows).toEqual([{ text: "through Kafka" }]);
      expect(await eventHandled(h.pool, poison.id)).toBe("dead_lettered");
    } finally {
      await consumer.stop();
    }
  });

  it("closes what it opened: the service's own dependencies, and the database of its isolation", async () => {
    const other = await notesHarness(topic);
    const database = new URL(other.iso.databaseUrl).pathname.slice(1);
    await other.close();
    expect(other.counter.stopped).toBe(1);
    const admin = new pg.Client({ connectionString: withDatabase(infra.databaseUrl, "postgres") });
    await admin.connect();
    try {
      expect((await admin.query("SELECT 1 FROM pg_database WHERE datname = $1", [database])).rowCount).toBe(0);
    } finally {
      await admin.end();
    }
  });
});
