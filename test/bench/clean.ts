// Remove what an interrupted benchmark left behind (a normal or failed run cleans up itself):
// `bash test/bench/run clean`. Only the names the ceilings and outbox benchmarks make are
// touched; do not run it while one of them is running.
import { Redis } from "ioredis";
import pg from "pg";
import { createKafka } from "@kruzhok/messaging";
import { dropDatabase } from "@kruzhok/postgres";
import { deleteTopics } from "./ceilings/measure";
import { benchEnv } from "./lib/env";
import { out } from "./lib/report";

const DATABASE = /^bench_(pgbench|outbox|registry|catalogue|enrollment)_[0-9a-f]{8}$/;
const KEY_PATTERN = "bench:????????:*";
const TOPIC = /^(bench\.[0-9a-f]{8}\.(raw|backlog|steady|effect)|bench_(registry|catalogue|enrollment)_[0-9a-f]{8}\..+)$/;

const env = benchEnv();

const client = new pg.Client({ connectionString: env.databaseUrl });
await client.connect();
let databases: string[];
try {
  const { rows } = await client.query<{ datname: string }>("SELECT datname FROM pg_database WHERE datname LIKE 'bench\\_%'");
  databases = rows.map((row) => row.datname).filter((name) => DATABASE.test(name));
} finally {
  await client.end();
}
for (const database of databases) await dropDatabase(env.databaseUrl, database);

const redis = new Redis(env.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 2 });
await redis.connect();
let keys = 0;
try {
  let cursor = "0";
  do {
    const [next, found] = await redis.scan(cursor, "MATCH", KEY_PATTERN, "COUNT", 1_000);
    if (found.length > 0) keys += await redis.unlink(...found);
    cursor = next;
  } while (cursor !== "0");
} finally {
  redis.disconnect();
}

const kafka = createKafka({ brokers: env.kafkaBrokers, clientId: "bench-clean" });
const admin = kafka.admin();
await admin.connect();
let topics: string[];
try {
  topics = (await admin.listTopics()).filter((topic) => TOPIC.test(topic));
} finally {
  await admin.disconnect();
}
if (topics.length > 0) await deleteTopics(kafka, topics);

out(`removed ${databases.length} databases, ${keys} keys, ${topics.length} topics`);
