import { z } from "zod";

// kubernetes-models has no models of the operators' kinds, so these schemas stand in for their
// CRDs: Strimzi's kafka.strimzi.io/v1beta2 (Kafka, KafkaNodePool, KafkaTopic) and CloudNativePG's
// postgresql.cnpg.io/v1 (Cluster). They cover only the fields deploy/k8s uses, with the types,
// required fields and enumerations of the operators' API references, and they are strict: a field
// they do not know is an error, so a misspelt field fails here instead of being pruned in silence
// by the API server. A field the manifests start using must be added here from the operator's
// API reference.

/** A Kubernetes resource quantity (`500m`, `2`, `4Gi`), as the API server parses it. */
const quantity = z.union([z.number().nonnegative(), z.string().regex(/^(\d+(\.\d+)?|\.\d+)(([KMGTPE]i)|[mkMGTPE]|[eE][+-]?\d+)?$/, "must be a quantity like 500m or 4Gi")]);

const cpuAndMemory = z.object({ cpu: quantity.optional(), memory: quantity.optional() }).strict();
const resources = z.object({ requests: cpuAndMemory.optional(), limits: cpuAndMemory.optional() }).strict();

const metadata = z
  .object({
    name: z.string().regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, "must be a DNS-1123 subdomain").max(253),
    namespace: z.string().optional(),
    labels: z.record(z.string(), z.string()).optional(),
    annotations: z.record(z.string(), z.string()).optional(),
  })
  .strict();

/** Strimzi's metadata of a node pool or a topic: the Kafka cluster it belongs to. */
const strimziOwned = metadata.extend({
  labels: z.record(z.string(), z.string()).refine((labels) => Boolean(labels["strimzi.io/cluster"]), "must carry the strimzi.io/cluster label"),
});

/** Kafka's configuration map: Strimzi passes strings, numbers and booleans through. */
const kafkaConfig = z.record(z.string().regex(/^[a-z][a-z0-9.]*$/, "must be a Kafka configuration key"), z.union([z.string(), z.number(), z.boolean()]));

const jbodVolume = z
  .object({
    id: z.number().int().nonnegative(),
    type: z.enum(["persistent-claim", "ephemeral"]),
    size: quantity,
    class: z.string().optional(),
    deleteClaim: z.boolean().optional(),
    kraftMetadata: z.literal("shared").optional(),
  })
  .strict();

export const KafkaNodePool = z
  .object({
    apiVersion: z.literal("kafka.strimzi.io/v1beta2"),
    kind: z.literal("KafkaNodePool"),
    metadata: strimziOwned,
    spec: z
      .object({
        replicas: z.number().int().nonnegative(),
        roles: z.array(z.enum(["controller", "broker"])).min(1),
        storage: z.object({ type: z.literal("jbod"), volumes: z.array(jbodVolume).min(1) }).strict(),
        resources: resources.optional(),
      })
      .strict(),
  })
  .strict();

export const Kafka = z
  .object({
    apiVersion: z.literal("kafka.strimzi.io/v1beta2"),
    kind: z.literal("Kafka"),
    metadata,
    spec: z
      .object({
        kafka: z
          .object({
            version: z.string().regex(/^\d+\.\d+\.\d+$/),
            metadataVersion: z.string().regex(/^\d+\.\d+(-IV\d+)?$/).optional(),
            listeners: z
              .array(
                z
                  .object({
                    name: z.string().regex(/^[a-z0-9]{1,11}$/, "must be 1-11 lower-case letters or digits"),
                    // Strimzi reserves 9090, 9091 and below 9092 for itself, and 9404/9999 for metrics and JMX.
                    port: z.number().int().min(9092).max(65_535).refine((port) => port !== 9404 && port !== 9999, "is reserved by Strimzi"),
                    type: z.enum(["internal", "route", "loadbalancer", "nodeport", "ingress", "cluster-ip"]),
                    tls: z.boolean(),
                  })
                  .strict(),
              )
              .min(1),
            config: kafkaConfig.optional(),
          })
          .strict(),
        entityOperator: z
          .object({ topicOperator: z.object({}).strict().optional(), userOperator: z.object({}).strict().optional() })
          .strict()
          .optional(),
      })
      .strict(),
  })
  .strict();

export const KafkaTopic = z
  .object({
    apiVersion: z.literal("kafka.strimzi.io/v1beta2"),
    kind: z.literal("KafkaTopic"),
    metadata: strimziOwned,
    spec: z
      .object({
        topicName: z.string().regex(/^[a-zA-Z0-9._-]{1,249}$/, "must be a Kafka topic name"),
        partitions: z.number().int().min(1),
        replicas: z.number().int().min(1).max(32_767),
        config: kafkaConfig.optional(),
      })
      .strict(),
  })
  .strict();

/** PostgreSQL parameters: CloudNativePG's CRD takes them as strings only. */
const postgresParameters = z.record(z.string().regex(/^[a-z_][a-z0-9_.]*$/), z.string());

export const PostgresCluster = z
  .object({
    apiVersion: z.literal("postgresql.cnpg.io/v1"),
    kind: z.literal("Cluster"),
    metadata,
    spec: z
      .object({
        instances: z.number().int().min(1),
        imageName: z.string().regex(/^[^\s:]+(:[\w][\w.-]{0,127})?$/).optional(),
        bootstrap: z
          .object({
            initdb: z
              .object({
                database: z.string().regex(/^[a-z_][a-z0-9_]*$/),
                owner: z.string().regex(/^[a-z_][a-z0-9_]*$/),
                postInitApplicationSQL: z.array(z.string().min(1)).optional(),
              })
              .strict(),
          })
          .strict(),
        storage: z.object({ size: quantity, storageClass: z.string().optional() }).strict(),
        resources: resources.optional(),
        postgresql: z
          .object({
            parameters: postgresParameters.optional(),
            synchronous: z
              .object({ method: z.enum(["any", "first"]), number: z.number().int().min(1), dataDurability: z.enum(["required", "preferred"]).optional() })
              .strict()
              .optional(),
          })
          .strict()
          .optional(),
        affinity: z.object({ enablePodAntiAffinity: z.boolean().optional(), topologyKey: z.string().optional() }).strict().optional(),
      })
      .strict(),
  })
  .strict();

/** The schema of each operator kind, by `apiVersion/kind`. */
export const crdSchemas: ReadonlyMap<string, z.ZodType> = new Map<string, z.ZodType>([
  ["kafka.strimzi.io/v1beta2/Kafka", Kafka],
  ["kafka.strimzi.io/v1beta2/KafkaNodePool", KafkaNodePool],
  ["kafka.strimzi.io/v1beta2/KafkaTopic", KafkaTopic],
  ["postgresql.cnpg.io/v1/Cluster", PostgresCluster],
]);
