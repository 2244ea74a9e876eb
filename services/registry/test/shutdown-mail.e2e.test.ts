import { randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, inject, it } from "vitest";
import { Topics } from "@kruzhok/contracts";
import { createKafka, deleteTopicsWithPrefix, sendToTopic } from "@kruzhok/messaging";
import { startSmtpSink } from "@kruzhok/notifications/testing";
import { dropDatabase } from "@kruzhok/postgres";
import { bearer, freePort, serviceEnv, startServiceProcess, waitFor } from "@kruzhok/testkit";
import { municipalityCode, offerMadeEvent, passportNumber, yearSettings } from "./fixtures/registry";

const main = fileURLToPath(new URL("../src/main.ts", import.meta.url));

/**
 * The registry delivers mail over pooled SMTP connections, which stay open between messages. On
 * SIGTERM they are closed once its consumers have stopped: left open, they kept the process
 * alive after every other step had closed, until the relay dropped them (smtp-server after 60 s;
 * a pod past its grace period is killed, not stopped).
 */
describe("the registry process with mail configured", () => {
  const infra = inject("infra");
  const database = `t_registry_mailstop_${process.pid}`;
  const topicPrefix = `${database}.`;
  const kafka = createKafka({ brokers: infra.kafkaBrokers, clientId: `${database}-test` });
  afterAll(async () => {
    await dropDatabase(infra.databaseUrl, database);
    await deleteTopicsWithPrefix(kafka, topicPrefix);
  });

  it("after delivering a mail, exits 0 on SIGTERM within seconds, its SMTP connections closed", async () => {
    const sink = await startSmtpSink();
    const port = await freePort();
    const started = startServiceProcess(main, {
      ...serviceEnv(infra, { port, database, topicPrefix, logLevel: "info" }),
      SMTP_HOST: "127.0.0.1",
      SMTP_PORT: String(sink.port),
      SMTP_FROM: "noreply@kruzhok.test",
    });
    const api = `http://127.0.0.1:${port}`;
    const call = async (method: string, path: string, headers: Record<string, string>, body: unknown): Promise<{ id: string }> => {
      const res = await fetch(`${api}${path}`, { method, headers: { ...headers, "content-type": "application/json" }, body: JSON.stringify(body) });
      if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
      return (await res.json()) as { id: string };
    };
    try {
      await waitFor(async () => ((await fetch(`${api}/readyz`)).status === 200 ? true : undefined), {
        timeoutMs: 60_000,
        intervalMs: 250,
        what: `registry ready (output: ${started.output().slice(-500)})`,
      });
      expect(started.output()).toContain('"channels":["email"]');
      const region = { authorization: await bearer({ role: "region", regionCode: "41" }) };
      const code = municipalityCode();
      const { id: municipalityId } = await call("POST", "/municipalities", region, { code, name: `Municipality ${code}`, regionCode: "41", timeZone: "Asia/Kamchatka", currency: "RUB" });
      await call("PUT", `/municipalities/${municipalityId}/years/${new Date().getUTCFullYear()}`, region, yearSettings());
      const office = { authorization: await bearer({ role: "operator", municipalityId }), "acting-basis": "in_person_visit" };
      const email = `parent-${randomUUID().slice(0, 8)}@family.test`;
      const { id: guardianId } = await call("POST", "/guardians", office, {
        firstName: "Мария",
        lastName: "Иванова",
        document: { kind: "passport", number: passportNumber() },
        municipalityId,
        email,
      });

      const event = offerMadeEvent(municipalityId, guardianId, new Date());
      await sendToTopic(kafka, `${topicPrefix}${Topics.notifications}`, [{ key: guardianId, value: JSON.stringify(event) }]);
      // Delivered over the pool, whose connection now stays open for the next message.
      await waitFor(() => sink.mails.find((mail) => mail.rcptTo.includes(email)), { timeoutMs: 30_000, what: "the offer mail at the SMTP server" });

      started.child.kill("SIGTERM");
      const ended = await Promise.race([started.exited, new Promise<string>((resolve) => setTimeout(() => resolve("still running 15 s after SIGTERM"), 15_000))]);
      expect(ended, started.output().slice(-1_000)).toBe(0);
      expect(started.output()).not.toContain('"level":"error"');
    } finally {
      started.child.kill("SIGKILL");
      await sink.close();
    }
  });
});
