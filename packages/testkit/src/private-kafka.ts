import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createKafka } from "@kruzhok/messaging";
import { freePort } from "./ports";

/**
 * A Kafka broker of one test's own (single-node KRaft, the jars deploy/local/up fetched, its own
 * ports and data directory), for outage tests that stop and start it: the shared broker on 9092
 * is never touched. `stop` kills it (SIGKILL, as a crash or a lost machine would), `start` brings
 * it up again on the same ports and data, so its topics and offsets survive.
 */
export interface PrivateKafka {
  readonly brokers: string[];
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Stop it and delete its data directory. */
  remove(): Promise<void>;
}

const CLUSTER_ID = "a3J1emhvay1wcml2YXRlMQ";

/** The broker's jars: KAFKA_LIB, or where deploy/local/up put them (this checkout's, the main checkout's). */
function kafkaLib(): string {
  const candidates = [process.env.KAFKA_LIB, resolve(".local/kafka/lib"), "/work/main/.local/kafka/lib"].filter((dir): dir is string => !!dir);
  const found = candidates.find((dir) => existsSync(join(dir, ".complete")) || existsSync(dir));
  if (!found) throw new Error(`no Kafka jars in ${candidates.join(", ")}: run deploy/local/up once (it fetches them)`);
  return found;
}

export async function privateKafka(): Promise<PrivateKafka> {
  const lib = kafkaLib();
  const port = await freePort();
  const controllerPort = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "kruzhok-kafka-"));
  const data = join(dir, "data");
  mkdirSync(data);
  const properties = join(dir, "server.properties");
  writeFileSync(
    properties,
    [
      "process.roles=broker,controller",
      "node.id=1",
      `controller.quorum.voters=1@127.0.0.1:${controllerPort}`,
      `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
      `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
      "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
      "controller.listener.names=CONTROLLER",
      "inter.broker.listener.name=PLAINTEXT",
      `log.dirs=${data}`,
      "offsets.topic.replication.factor=1",
      "offsets.topic.num.partitions=1",
      "transaction.state.log.replication.factor=1",
      "transaction.state.log.min.isr=1",
      "transaction.state.log.num.partitions=1",
      "default.replication.factor=1",
      "min.insync.replicas=1",
      "group.initial.rebalance.delay.ms=0",
      "auto.create.topics.enable=false",
      "num.partitions=1",
      "num.network.threads=1",
      "num.io.threads=2",
      "background.threads=2",
      "log.cleaner.enable=false",
      "",
    ].join("\n"),
  );
  const log4j = join(dir, "log4j.properties");
  writeFileSync(log4j, `log4j.rootLogger=WARN, file\nlog4j.appender.file=org.apache.log4j.FileAppender\nlog4j.appender.file.File=${join(dir, "server.log")}\nlog4j.appender.file.layout=org.apache.log4j.PatternLayout\nlog4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n\n`);
  const java = (main: string, args: string[]) => ["-Xms128m", "-Xmx384m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Djava.awt.headless=true", `-Dlog4j.configuration=file:${log4j}`, "-cp", `${lib}/*`, main, ...args];
  const formatted = spawnSync("java", java("kafka.tools.StorageTool", ["format", "-t", CLUSTER_ID, "-c", properties, "--ignore-formatted"]), { encoding: "utf8" });
  if (formatted.status !== 0) throw new Error(`formatting the private broker's data failed:\n${formatted.stdout}\n${formatted.stderr}`);

  let child: ChildProcess | undefined;
  let output = "";
  const brokers = [`127.0.0.1:${port}`];
  const answers = async () => {
    const admin = createKafka({ brokers, clientId: "private-kafka-probe" }, undefined, { retry: { retries: 0 }, connectionTimeout: 1_000 }).admin();
    try {
      await admin.connect();
      await admin.listTopics();
      return true;
    } catch {
      return false;
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  };
  const kafka: PrivateKafka = {
    brokers,
    async start() {
      if (child) throw new Error("the private broker runs already");
      const started = spawn("java", java("kafka.Kafka", [properties]), { stdio: ["ignore", "pipe", "pipe"] });
      child = started;
      started.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
      started.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
      const deadline = Date.now() + 120_000;
      while (!(await answers())) {
        if (started.exitCode !== null || Date.now() > deadline) throw new Error(`the private broker on port ${port} did not start:\n${output.slice(-3_000)}`);
        await new Promise((resolveWait) => setTimeout(resolveWait, 250));
      }
    },
    async stop() {
      const running = child;
      if (!running) return;
      child = undefined;
      if (running.exitCode !== null) return;
      const exited = new Promise<void>((resolveExit) => running.once("exit", () => resolveExit()));
      running.kill("SIGKILL");
      await exited;
    },
    async remove() {
      await kafka.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await kafka.start();
  return kafka;
}
