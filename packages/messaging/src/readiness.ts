import type { Kafka } from "kafkajs";

/**
 * `/readyz`'s check of the broker: an admin client connects and lists the topics, so a broker
 * that accepts connections but cannot answer metadata reads as not ready. Shaped as the http
 * kit's ReadinessCheck.
 */
export function kafkaReadiness(kafka: Kafka): { name: string; check: () => Promise<void> } {
  return {
    name: "kafka",
    check: async () => {
      const admin = kafka.admin();
      await admin.connect();
      try {
        await admin.listTopics();
      } finally {
        await admin.disconnect();
      }
    },
  };
}
