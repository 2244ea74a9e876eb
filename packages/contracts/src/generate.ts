import { z } from "zod";
import { eventCatalog, topicDescriptions } from "./catalog";
import { EventEnvelope, envelopeOf } from "./envelope";
import { Money } from "./primitives";
import { ProblemDocument } from "./problem";
import { deadLetterTopic, Topics } from "./topics";
import { serviceTopics } from "./topology";

type Json = Record<string, unknown>;

/** What each topic's message key is (README, "How a country runs it"). */
const topicKeys: Record<string, string> = {
  [Topics.registry]: "the certificate, child, provider or municipality id, or <municipality>:<year> for a year's rules",
  [Topics.catalogue]: "the program or group id",
  [Topics.enrollment]: "the application, enrollment or campaign id",
  [Topics.attendance]: "the lesson id (marks), notice id, enrollment id (month summaries), <municipality>:<month> (closes) or signal id",
  [Topics.payments]: "the certificate id (financing), enrollment id (reservations, bills) or register id",
  [Topics.statistics]: "region:<code>: a region's changes in order",
  [Topics.notifications]: "the guardian id: a family's messages in order",
};

const toSchema = (schema: z.ZodType): Json =>
  z.toJSONSchema(schema, { target: "draft-2020-12", unrepresentable: "any", io: "input" });

/**
 * The published descriptions of the contracts, as file name -> content. Pure: a script writes
 * them to `generated/`, and a test fails when what is there differs from what this returns.
 */
export function generateContractDocuments(): Map<string, string> {
  const files = new Map<string, string>();
  const write = (name: string, value: unknown) => files.set(name, `${JSON.stringify(value, null, 2)}\n`);

  write("json-schema/event-envelope.json", toSchema(EventEnvelope));
  write("json-schema/money.json", toSchema(Money));
  write("json-schema/problem-document.json", toSchema(ProblemDocument));
  for (const contract of eventCatalog) {
    write(`json-schema/events/${contract.type}.v${contract.version}.json`, toSchema(envelopeOf(contract)));
  }

  const messages: Json = {
    EventEnvelope: { name: "EventEnvelope", contentType: "application/json", payload: toSchema(EventEnvelope) },
  };
  for (const contract of eventCatalog) {
    messages[`${contract.type}.v${contract.version}`] = {
      name: contract.type,
      title: `${contract.type} v${contract.version}`,
      contentType: "application/json",
      payload: toSchema(envelopeOf(contract)),
    };
  }
  for (const message of Object.values(messages) as Json[]) {
    message.correlationId = { $ref: "#/components/correlationIds/envelope" };
    message.bindings = {
      kafka: {
        key: { type: "string", description: "The envelope's aggregateId: one aggregate's events share a partition and stay in order" },
        bindingVersion: "0.5.0",
      },
    };
  }
  const pascal = (text: string) => text.replace(/(^|[^A-Za-z0-9]+)([A-Za-z0-9])/g, (_m, _s: string, c: string) => c.toUpperCase());
  const channelOf = Object.fromEntries(Object.entries(Topics).map(([name, topic]) => [topic, name]));
  const channels: Json = {};
  const operations: Json = {};
  for (const [name, topic] of Object.entries(Topics)) {
    const onTopic = eventCatalog.filter((contract) => contract.topic === topic);
    const refs = onTopic.length
      ? Object.fromEntries(onTopic.map((c) => [`${c.type}.v${c.version}`, { $ref: `#/components/messages/${c.type}.v${c.version}` }]))
      : { EventEnvelope: { $ref: "#/components/messages/EventEnvelope" } };
    channels[name] = {
      address: topic,
      description: `${topicDescriptions[topic]}. Key: ${topicKeys[topic]}.`,
      messages: refs,
    };
    channels[`${name}DeadLetters`] = {
      address: deadLetterTopic(topic),
      description: `Messages of ${topic} that a consumer could not accept, with the reason in the x-dlq-* headers; an operator lists and redrives them (kruzhok dead-letters)`,
      messages: { EventEnvelope: { $ref: "#/components/messages/EventEnvelope" } },
    };
  }
  for (const [service, { publishes, consumes }] of Object.entries(serviceTopics)) {
    for (const topic of publishes as readonly string[]) {
      const channel = channelOf[topic]!;
      operations[`${service}Publishes${pascal(channel)}`] = {
        action: "send",
        title: `${service} publishes to ${topic}`,
        summary: `${service} publishes these events from its outbox, after the transaction that made them commits`,
        channel: { $ref: `#/channels/${channel}` },
      };
    }
    for (const topic of consumes as readonly string[]) {
      const channel = channelOf[topic]!;
      operations[`${service}Consumes${pascal(channel)}`] = {
        action: "receive",
        title: `${service} consumes ${topic}`,
        summary: `${service}'s consumer group reads every event once through its inbox; an event it cannot accept goes to ${deadLetterTopic(topic)}`,
        channel: { $ref: `#/channels/${channel}` },
        bindings: { kafka: { groupId: { type: "string", enum: [service], description: "KAFKA_TOPIC_PREFIX + the service's name" }, bindingVersion: "0.5.0" } },
      };
      operations[`${service}DeadLetters${pascal(channel)}`] = {
        action: "send",
        title: `${service} dead-letters from ${topic}`,
        summary: `What ${service}'s consumer could not accept from ${topic} (a broken contract, a domain refusal, or a failure that outlasted its retries and the parking)`,
        channel: { $ref: `#/channels/${channel}DeadLetters` },
      };
    }
  }
  write("asyncapi.json", {
    asyncapi: "3.0.0",
    info: {
      title: "Kruzhok events",
      version: "1.0.0",
      description:
        "Every event travels in the envelope; the Kafka message key is the aggregate id. The envelope's correlationId is shared by everything one person's action caused, across services; causationId names the event or request that caused this one. Consumers tolerate added fields; a breaking change is a new version.",
      license: { name: "Proprietary: the region that runs it", url: "https://kruzhok.example/license" },
    },
    defaultContentType: "application/json",
    servers: {
      local: {
        host: "127.0.0.1:9092",
        protocol: "kafka",
        description: "The local broker `npm start` runs (deploy/local/kafka); a region's cluster is Strimzi's, deploy/k8s",
      },
    },
    channels,
    operations,
    components: {
      messages,
      correlationIds: {
        envelope: {
          description: "The envelope's correlationId: one person's action, followed through every service it reached (causationId: the event or request that caused this one)",
          location: "$message.payload#/correlationId",
        },
      },
    },
  });
  return files;
}
