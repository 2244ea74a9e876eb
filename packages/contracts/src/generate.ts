import { z } from "zod";
import { eventCatalog, topicDescriptions } from "./catalog";
import { EventEnvelope, envelopeOf } from "./envelope";
import { Money } from "./primitives";
import { ProblemDocument } from "./problem";
import { deadLetterTopic, Topics } from "./topics";

type Json = Record<string, unknown>;

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
  const channels: Json = {};
  const operations: Json = {};
  for (const [service, topic] of Object.entries(Topics)) {
    const onTopic = eventCatalog.filter((contract) => contract.topic === topic);
    const refs = onTopic.length
      ? Object.fromEntries(onTopic.map((c) => [`${c.type}.v${c.version}`, { $ref: `#/components/messages/${c.type}.v${c.version}` }]))
      : { EventEnvelope: { $ref: "#/components/messages/EventEnvelope" } };
    channels[service] = { address: topic, description: topicDescriptions[topic], messages: refs };
    channels[`${service}DeadLetters`] = {
      address: deadLetterTopic(topic),
      description: `Messages of ${topic} that a consumer could not accept, with the reason in the x-dlq-* headers`,
      messages: { EventEnvelope: { $ref: "#/components/messages/EventEnvelope" } },
    };
    operations[`publish${service[0]?.toUpperCase()}${service.slice(1)}`] = {
      action: "send",
      channel: { $ref: `#/channels/${service}` },
    };
  }
  write("asyncapi.json", {
    asyncapi: "3.0.0",
    info: {
      title: "Kruzhok events",
      version: "1.0.0",
      description:
        "Every event travels in the envelope; the message key is the aggregate id. Consumers tolerate added fields; a breaking change is a new version.",
    },
    defaultContentType: "application/json",
    channels,
    operations,
    components: { messages },
  });
  return files;
}
