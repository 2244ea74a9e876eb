import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { DEV_AUTH_SECRET, signDevToken } from "@kruzhok/http";
import { createKafka, readTopic } from "@kruzhok/messaging";
import { Topics } from "@kruzhok/contracts";
import { privateKafka, serviceUnderTest, waitFor, type PrivateKafka, type ServiceUnderTest } from "@kruzhok/testkit";

// The broker goes away under the registry, on a private KRaft broker of this test (the shared
// one on 9092 is never stopped): the API keeps taking writes into its outbox and stays ready (its
// database is what it needs), the outage shows as dependency_up{dependency="kafka"} 0; the
// registry is even killed and started again while the broker is down, and starts; once the broker
// is back every event of every write arrives exactly once.
describe("the registry while the broker is down", () => {
  const infra = inject("infra");
  let kafka: PrivateKafka;
  let service: ServiceUnderTest;
  let region: string;

  beforeAll(async () => {
    kafka = await privateKafka();
    service = await serviceUnderTest(
      { ...infra, kafkaBrokers: kafka.brokers },
      {
        name: "registry_broker_outage",
        main: fileURLToPath(new URL("../src/main.ts", import.meta.url)),
        env: { RATE_LIMIT_PER_MINUTE: "1000000", KAFKA_START_WAIT_MS: "2000" },
        logLevel: "info",
      },
    );
    region = `Bearer ${await signDevToken({ subject: "outage-region", role: "region", regionCode: "72" }, { secret: DEV_AUTH_SECRET })}`;
  });
  afterAll(async () => {
    // The topics are deleted from the private broker, which a failed test may have left stopped;
    // it is removed whole right after.
    await service?.cleanup().catch(() => undefined);
    await kafka?.remove();
  });

  let code = 7200;
  /** A municipality created through the API: its registry.municipality.created event goes through the outbox. */
  const createMunicipality = async () => {
    code++;
    const res = await service.send("POST", "/municipalities", region, { code: String(code), name: `Город ${code}`, regionCode: "72", timeZone: "Asia/Almaty", currency: "KZT" });
    expect(res.status, res.body).toBe(201);
    return res.json<{ id: string }>().id;
  };
  const brokerUp = async () => {
    const text = (await service.call("GET", "/metrics")).body;
    return /dependency_up\{[^}]*dependency="kafka"[^}]*\} (\d)/.exec(text)?.[1];
  };
  const ready = async () => (await service.call("GET", "/readyz")).status;

  it("takes writes while the broker is down, starts without it, and publishes every event exactly once when it returns", async () => {
    await service.start();
    const written = [await createMunicipality()];

    await kafka.stop();
    for (let i = 0; i < 5; i++) written.push(await createMunicipality());
    expect(await ready()).toBe(200);
    await waitFor(async () => ((await brokerUp()) === "0" ? true : undefined), { timeoutMs: 60_000, what: "dependency_up{kafka} 0" });

    // A start while the broker is down: the service listens, is ready and takes writes.
    await service.kill();
    await service.start();
    expect(await ready()).toBe(200);
    for (let i = 0; i < 5; i++) written.push(await createMunicipality());
    await waitFor(async () => ((await brokerUp()) === "0" ? true : undefined), { timeoutMs: 60_000, what: "dependency_up{kafka} 0 in the new process" });

    await kafka.start();
    await waitFor(async () => ((await brokerUp()) === "1" ? true : undefined), { timeoutMs: 90_000, what: "dependency_up{kafka} 1" });
    await service.outboxDrained();
    // The consumers of the process that started while the broker was down have joined their group.
    const admin = createKafka({ brokers: kafka.brokers, clientId: "broker-outage-admin" }).admin();
    await admin.connect();
    try {
      await waitFor(
        async () => {
          const { groups } = await admin.describeGroups([`${service.topicPrefix}registry`]);
          return groups[0]?.state === "Stable" && groups[0].members.length > 0 ? true : undefined;
        },
        { timeoutMs: 90_000, what: "the registry's consumers in their group" },
      );
    } finally {
      await admin.disconnect();
    }
    const topicKafka = createKafka({ brokers: kafka.brokers, clientId: "broker-outage-reader" });
    const created = (await readTopic(topicKafka, `${service.topicPrefix}${Topics.registry}`))
      .map((message) => JSON.parse(message.value ?? "{}") as { type?: string; data?: { municipalityId?: string } })
      .filter((event) => event.type === "registry.municipality.created")
      .map((event) => event.data?.municipalityId);
    expect(created.sort()).toEqual([...written].sort());
    // One line for the outage, whatever the rounds and restarts in between (each process says it once).
    const output = service.output(200_000);
    expect(output.match(/"msg":"kafka unavailable/g)?.length ?? 0).toBeLessThanOrEqual(2);
  });
});
