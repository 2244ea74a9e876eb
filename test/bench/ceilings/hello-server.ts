// The system under test of the Fastify ceiling, in its own process so that the load generator
// does not share its event loop. Tells the parent its port over IPC; stops on SIGTERM.
// With HELLO_REDIS_SCRIPTS=N (and REDIS_URL) each request first runs N Lua scripts one after the
// other on Redis, as a position lookup runs two (its rate-limit count, then its position): the
// bound of any lookup built that way, with no application code (test/bench/enrollment).
// With HELLO_WORKERS=N it runs as N processes sharing its port (node:cluster), as a service's
// workers do: the ceiling of a paced run against two workers. With HELLO_BURN_US=N each request
// first spends N µs of the process's CPU time (a loop on process.cpuUsage, not on the clock: a
// worker preempted in the loop would spend less): a server costing what a service's request
// costs, with nothing else of the service (its paced tail, test/bench/enrollment).
import cluster from "node:cluster";
import fastify from "fastify";
import { Redis } from "ioredis";

const workers = Number(process.env.HELLO_WORKERS ?? "1");
if (cluster.isPrimary && workers > 1) {
  // The workers share one port; the first to listen tells it, the parent hears it from here.
  const forked = Array.from({ length: workers }, () => cluster.fork());
  let listening = 0;
  for (const worker of forked) {
    worker.on("message", (message: { kind?: string; port?: number }) => {
      if (message.kind === "listening" && ++listening === workers) process.send?.(message);
    });
  }
  process.once("SIGTERM", () => {
    for (const worker of forked) worker.process.kill("SIGTERM");
    let exited = 0;
    cluster.on("exit", () => {
      if (++exited === workers) process.disconnect?.();
    });
  });
} else {
  await serve();
}

async function serve(): Promise<void> {
  const scripts = Number(process.env.HELLO_REDIS_SCRIPTS ?? "0");
  const burnMicros = Number(process.env.HELLO_BURN_US ?? "0");
  const redis = scripts > 0 ? new Redis(process.env.REDIS_URL ?? "redis://127.0.0.1:6379", { enableAutoPipelining: true }) : undefined;
  const key = `bench:hello:${process.pid}`;
  // A rank and a count on a small sorted set: the work of the lookup's scripts, not their data.
  const lua = "local rank = redis.call('ZRANK', KEYS[1], ARGV[1]); return {rank or -1, redis.call('ZCARD', KEYS[1])}";
  if (redis) await redis.zadd(key, 1, "a", 2, "b", 3, "c");

  const app = fastify({ logger: false });
  app.get("/", async () => {
    if (burnMicros > 0) {
      const from = process.cpuUsage();
      for (let spent = process.cpuUsage(from); spent.user + spent.system < burnMicros; spent = process.cpuUsage(from));
    }
    for (let i = 0; i < scripts; i++) await redis?.eval(lua, 1, key, "b");
    return { hello: "world" };
  });

  const address = await app.listen({ host: "127.0.0.1", port: 0 });
  process.send?.({ kind: "listening", port: Number(new URL(address).port) });

  // Closing the server, Redis and the IPC channel leaves nothing to keep the process alive.
  process.once("SIGTERM", () => {
    void app
      .close()
      .then(async () => {
        if (redis) {
          await redis.del(key);
          redis.disconnect();
        }
      })
      .then(() => process.disconnect?.());
  });
}
