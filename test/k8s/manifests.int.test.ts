import { readFileSync } from "node:fs";
import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { HorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler";
import { Job } from "kubernetes-models/batch/v1/Job";
import { Ingress } from "kubernetes-models/networking.k8s.io/v1/Ingress";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1/PodDisruptionBudget";
import { ConfigMap } from "kubernetes-models/v1/ConfigMap";
import { Namespace } from "kubernetes-models/v1/Namespace";
import { Secret } from "kubernetes-models/v1/Secret";
import { Service } from "kubernetes-models/v1/Service";
import type { IIoK8sApiCoreV1Container } from "kubernetes-models/v1/Container";
import { describe, expect, it } from "vitest";
import type { z } from "zod";
import { deadLetterTopic, Topics } from "@kruzhok/contracts";
import { AttendanceConfig } from "../../services/attendance/src/config";
import { consumedTopics as attendanceConsumes } from "../../services/attendance/src/messaging/topics";
import { CatalogueConfig } from "../../services/catalogue/src/config";
import { consumedTopics as catalogueConsumes } from "../../services/catalogue/src/messaging/topics";
import { EnrollmentConfig } from "../../services/enrollment/src/config";
import { consumedTopics as enrollmentConsumes } from "../../services/enrollment/src/messaging/topics";
import { PaymentsConfig } from "../../services/payments/src/config";
import { consumedTopics as paymentsConsumes } from "../../services/payments/src/messaging/topics";
import { PortalConfig } from "../../services/portal/src/config";
import { RegistryConfig } from "../../services/registry/src/config";
import { consumedTopics as registryConsumes } from "../../services/registry/src/messaging/topics";
import { StatisticsConfig } from "../../services/statistics/src/config";
import { consumedTopics as statisticsConsumes } from "../../services/statistics/src/messaging/topics";
import { crdSchemas, type KafkaTopic, type PostgresCluster } from "./crds";
import { kubectlVersion, render, type K8sObject } from "./kubectl";

// deploy/k8s rendered by `kubectl kustomize` as an operator would apply it, every object checked
// against its schema (kubernetes-models for Kubernetes' own kinds, ./crds for the operators'),
// then what the manifests promise: each service's probes, budget and port, an environment its
// config schema accepts, Secrets only by reference, topics partitioned for the consumers that
// read them, connections for the pods an autoscaler may start, and a production that loses
// nothing when one node goes.

const SERVICES = ["portal", "registry", "catalogue", "enrollment", "attendance", "payments", "statistics"] as const;
type ServiceName = (typeof SERVICES)[number];

const CONFIGS: Record<ServiceName, z.ZodType> = {
  portal: PortalConfig,
  registry: RegistryConfig,
  catalogue: CatalogueConfig,
  enrollment: EnrollmentConfig,
  attendance: AttendanceConfig,
  payments: PaymentsConfig,
  statistics: StatisticsConfig,
};

/** Consumer group (the service's name) -> the topics it reads: the services' own lists. */
const CONSUMES: Record<ServiceName, readonly string[]> = {
  portal: [],
  registry: registryConsumes,
  catalogue: catalogueConsumes,
  enrollment: enrollmentConsumes,
  attendance: attendanceConsumes,
  payments: paymentsConsumes,
  statistics: statisticsConsumes,
};

/** The port each service listens on by default (its package.json), which the manifests keep. */
const portOf = (service: ServiceName): number =>
  (JSON.parse(readFileSync(new URL(`../../services/${service}/package.json`, import.meta.url), "utf8")) as { kruzhok: { port: number } }).kruzhok.port;

/** Kubernetes' own kinds the manifests use, by `apiVersion/kind`: constructing one validates nothing, `validate()` does. */
const MODELS: ReadonlyMap<string, new (data: never) => { validate(): void }> = new Map<string, new (data: never) => { validate(): void }>([
  ["apps/v1/Deployment", Deployment],
  ["autoscaling/v2/HorizontalPodAutoscaler", HorizontalPodAutoscaler],
  ["batch/v1/Job", Job],
  ["networking.k8s.io/v1/Ingress", Ingress],
  ["policy/v1/PodDisruptionBudget", PodDisruptionBudget],
  ["v1/ConfigMap", ConfigMap],
  ["v1/Namespace", Namespace],
  ["v1/Secret", Secret],
  ["v1/Service", Service],
]);

const KUSTOMIZATIONS = ["base", "overlays/production", "overlays/region-opening-day"] as const;
const EXAMPLE_SECRETS = "examples/secrets";

const rendered = new Map<string, K8sObject[]>();
const objectsOf = (dir: string): K8sObject[] => {
  const objects = rendered.get(dir);
  if (!objects) throw new Error(`${dir} was not rendered`);
  return objects;
};
const typeOf = (object: K8sObject) => `${object.apiVersion}/${object.kind}`;
const named = (objects: readonly K8sObject[], kind: string, name: string): K8sObject | undefined =>
  objects.find((object) => object.kind === kind && object.metadata.name === name);
const ofKind = <T>(objects: readonly K8sObject[], kind: string, model: new (data: never) => T): T[] =>
  objects.filter((object) => object.kind === kind).map((object) => new model(object as never));

/** The service a workload runs, and its role (`api`, `search`, `migrate`), from its labels. */
const serviceOf = (labels: Record<string, string> | undefined): { service: ServiceName; component: string } | undefined => {
  const service = labels?.["app.kubernetes.io/name"];
  const component = labels?.["app.kubernetes.io/component"];
  return SERVICES.includes(service as ServiceName) && component ? { service: service as ServiceName, component } : undefined;
};

const deploymentsOf = (objects: readonly K8sObject[], service: ServiceName): Deployment[] =>
  ofKind(objects, "Deployment", Deployment).filter((deployment) => serviceOf(deployment.spec?.template.metadata?.labels)?.service === service);

/** The most pods `service` may run: over its Deployments, each autoscaler's maximum or the replicas. */
function maxPods(objects: readonly K8sObject[], service: ServiceName): number {
  const autoscalers = ofKind(objects, "HorizontalPodAutoscaler", HorizontalPodAutoscaler);
  return deploymentsOf(objects, service)
    .map((deployment) => autoscalers.find((hpa) => hpa.spec?.scaleTargetRef.name === deployment.metadata?.name)?.spec?.maxReplicas ?? deployment.spec?.replicas ?? 1)
    .reduce((sum, pods) => sum + pods, 0);
}

/** The one container of a workload's pod template. */
function containerOf(template: { spec?: { containers: IIoK8sApiCoreV1Container[] } } | undefined, where: string): IIoK8sApiCoreV1Container {
  const containers = template?.spec?.containers ?? [];
  if (containers.length !== 1 || !containers[0]) throw new Error(`${where}: one container expected, found ${containers.length}`);
  return containers[0];
}

/**
 * The environment a container gets, as the service's process would see it: the ConfigMaps it
 * takes whole, then its own variables; a Secret's value (not in the manifests) is a stand-in
 * shaped as the real one must be.
 */
function environmentOf(objects: readonly K8sObject[], container: IIoK8sApiCoreV1Container, where: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const source of container.envFrom ?? []) {
    const name = source.configMapRef?.name;
    if (!name) throw new Error(`${where}: envFrom other than a ConfigMap`);
    const configMap = named(objects, "ConfigMap", name);
    if (!configMap) throw new Error(`${where}: ConfigMap ${name} is not among the manifests`);
    Object.assign(env, (configMap as unknown as { data?: Record<string, string> }).data ?? {});
  }
  for (const variable of container.env ?? []) {
    const secret = variable.valueFrom?.secretKeyRef;
    if (variable.value !== undefined) env[variable.name] = variable.value;
    else if (secret && variable.name === "DATABASE_URL") env[variable.name] = `postgresql://owner:generated-password@${(secret.name ?? "").replace(/-app$/, "")}-rw.kruzhok:5432/db`;
    else if (secret) env[variable.name] = "stand-in-for-a-secret-value-0123456789abcdef";
    else throw new Error(`${where}: ${variable.name} has neither a value nor a Secret`);
  }
  return env;
}

/** The keys a service's config schema reads (through its refinements and transforms). */
function keysOf(schema: z.ZodType): Set<string> {
  const def = (schema as unknown as { def: { shape?: Record<string, unknown>; in?: z.ZodType; schema?: z.ZodType } }).def;
  if (def.shape) return new Set(Object.keys(def.shape));
  const inner = def.in ?? def.schema;
  if (!inner) throw new Error("a config schema without an object shape");
  return keysOf(inner);
}

// Rendered once for every test. Each test awaits it rather than a beforeAll, so that a machine
// without kubectl fails every test with how to install it, instead of reporting them skipped.
let rendering: Promise<void> | undefined;
function renderAll(): Promise<void> {
  rendering ??= (async () => {
    const version = await kubectlVersion();
    expect(version.kustomize, `kustomize v5 expected (the manifests use its \`labels\` and \`patches\`); kubectl ${version.client} has ${version.kustomize}`).toMatch(/^v5\./);
    await Promise.all([...KUSTOMIZATIONS, EXAMPLE_SECRETS].map(async (dir) => rendered.set(dir, await render(dir))));
  })();
  return rendering;
}

describe("deploy/k8s, rendered by kubectl kustomize", { timeout: 300_000 }, () => {
  it("renders every kustomization, and every object validates: Kubernetes' kinds with kubernetes-models, the operators' with their CRD schemas", async () => {
    await renderAll();
    for (const dir of [...KUSTOMIZATIONS, EXAMPLE_SECRETS]) {
      const objects = objectsOf(dir);
      expect(objects.length, dir).toBeGreaterThan(0);
      const failures: string[] = [];
      for (const object of objects) {
        const where = `${dir}: ${object.kind}/${object.metadata.name}`;
        const Model = MODELS.get(typeOf(object));
        const crd = crdSchemas.get(typeOf(object));
        if (Model) {
          try {
            new Model(object as never).validate();
          } catch (error) {
            failures.push(`${where}: ${(error as Error).message}`);
          }
        } else if (crd) {
          const result = crd.safeParse(object);
          if (!result.success) failures.push(`${where}: ${result.error.issues.map((issue) => `${issue.path.join(".")} ${issue.message}`).join("; ")}`);
        } else {
          failures.push(`${where}: no schema for ${typeOf(object)} (add its model or CRD schema)`);
        }
      }
      expect(failures, dir).toEqual([]);
    }
    // The kinds the issue asks for, in the base already.
    const kinds = new Set(objectsOf("base").map(typeOf));
    for (const kind of [...MODELS.keys(), ...crdSchemas.keys()].filter((kind) => !["v1/Namespace", "v1/Secret", "networking.k8s.io/v1/Ingress"].includes(kind))) expect(kinds, kind).toContain(kind);
  });

  it.each(SERVICES)("%s: Deployments with startup, liveness (/livez) and readiness (/readyz) probes and resources, a Service on its port, a PodDisruptionBudget over its pods", async (service) => {
    await renderAll();
    for (const dir of KUSTOMIZATIONS) {
      const objects = objectsOf(dir);
      const deployments = deploymentsOf(objects, service);
      expect(deployments.length, `${dir}: ${service}`).toBeGreaterThan(0);
      for (const deployment of deployments) {
        const where = `${dir}: Deployment/${deployment.metadata?.name}`;
        const container = containerOf(deployment.spec?.template, where);
        const port = container.ports?.find((p) => p.name === "http")?.containerPort;
        expect(port, where).toBe(portOf(service));
        expect(container.env?.find((variable) => variable.name === "PORT")?.value, where).toBe(String(port));
        expect(container.livenessProbe?.httpGet?.path, where).toBe("/livez");
        expect(container.startupProbe?.httpGet?.path, where).toBe("/livez");
        expect(container.readinessProbe?.httpGet?.path, where).toBe("/readyz");
        for (const side of ["requests", "limits"] as const) {
          expect(container.resources?.[side]?.cpu, `${where} ${side}.cpu`).toBeDefined();
          expect(container.resources?.[side]?.memory, `${where} ${side}.memory`).toBeDefined();
        }
        expect(container.securityContext?.allowPrivilegeEscalation, where).toBe(false);
        expect(deployment.spec?.template.spec?.securityContext?.runAsNonRoot, where).toBe(true);

        const podLabels = deployment.spec?.template.metadata?.labels ?? {};
        const selects = (selector: Record<string, string> | undefined) => selector !== undefined && Object.entries(selector).every(([key, value]) => podLabels[key] === value);
        const budgets = ofKind(objects, "PodDisruptionBudget", PodDisruptionBudget).filter((pdb) => selects(pdb.spec?.selector?.matchLabels));
        expect(budgets.length, `${where}: one PodDisruptionBudget`).toBe(1);
        const services = ofKind(objects, "Service", Service).filter((svc) => selects(svc.spec?.selector));
        expect(services.length, `${where}: a Service`).toBe(1);
        expect(services[0]?.spec?.ports?.[0]?.port, where).toBe(portOf(service));
      }
    }
  });

  it("enrollment and the catalogue's search are autoscaled; the autoscaler alone owns their replica count", async () => {
    await renderAll();
    for (const dir of KUSTOMIZATIONS) {
      const objects = objectsOf(dir);
      const autoscalers = ofKind(objects, "HorizontalPodAutoscaler", HorizontalPodAutoscaler);
      for (const target of ["enrollment", "catalogue-search"]) {
        const hpa = autoscalers.find((candidate) => candidate.spec?.scaleTargetRef.name === target);
        expect(hpa?.spec?.scaleTargetRef.kind, `${dir}: ${target}`).toBe("Deployment");
        expect(hpa?.spec?.metrics?.[0]?.resource?.name, `${dir}: ${target}`).toBe("cpu");
        const deployment = ofKind(objects, "Deployment", Deployment).find((candidate) => candidate.metadata?.name === target);
        expect(deployment, `${dir}: ${target}`).toBeDefined();
        // An apply would otherwise set the count back to the manifest's.
        expect(deployment?.spec?.replicas, `${dir}: ${target}`).toBeUndefined();
        expect(hpa?.spec?.minReplicas ?? 1, `${dir}: ${target}`).toBeLessThanOrEqual(hpa?.spec?.maxReplicas ?? 0);
      }
    }
  });

  it.each(SERVICES)("%s: the environment of its Deployments and its migration Job is one its config schema accepts, and names no key it does not read", async (service) => {
    await renderAll();
    for (const dir of KUSTOMIZATIONS) {
      const objects = objectsOf(dir);
      const workloads = [
        ...deploymentsOf(objects, service).map((deployment) => ({ where: `Deployment/${deployment.metadata?.name}`, template: deployment.spec?.template })),
        ...ofKind(objects, "Job", Job)
          .filter((job) => serviceOf(job.metadata?.labels)?.service === service)
          .map((job) => ({ where: `Job/${job.metadata?.name}`, template: job.spec?.template })),
      ];
      expect(workloads.length, `${dir}: ${service}`).toBeGreaterThanOrEqual(2);
      const known = keysOf(CONFIGS[service]);
      for (const { where, template } of workloads) {
        const container = containerOf(template, where);
        const env = environmentOf(objects, container, `${dir}: ${where}`);
        // The shared ConfigMap is read by every service; only its own variables must be its.
        const own = (container.env ?? []).map((variable) => variable.name).filter((name) => !known.has(name));
        expect(own, `${dir}: ${where}: variables ${service}'s config does not read`).toEqual([]);
        const shared = Object.keys(env).filter((name) => !known.has(name) && name !== "PORTAL_PUBLIC_URL");
        expect(shared, `${dir}: ${where}: shared variables no service reads`).toEqual([]);
        const parsed = CONFIGS[service].safeParse(env);
        expect(parsed.success ? [] : parsed.error.issues.map((issue) => `${issue.path.join(".")} ${issue.message}`), `${dir}: ${where}`).toEqual([]);
        expect(env.NODE_ENV, where).toBe("production");
        expect(env.AUTH_MODE, where).toBe("oidc");
      }
    }
  });

  it.each(SERVICES)("%s: a migration Job runs its image with its Deployment's environment and MIGRATE_ONLY", async (service) => {
    await renderAll();
    for (const dir of KUSTOMIZATIONS) {
      const objects = objectsOf(dir);
      const jobs = ofKind(objects, "Job", Job).filter((job) => serviceOf(job.metadata?.labels)?.service === service);
      expect(jobs.map((job) => serviceOf(job.spec?.template.metadata?.labels)?.component), `${dir}: ${service}`).toEqual(["migrate"]);
      const [job] = jobs;
      const [deployment] = deploymentsOf(objects, service);
      const jobContainer = containerOf(job?.spec?.template, `${dir}: Job`);
      const serving = containerOf(deployment?.spec?.template, `${dir}: Deployment`);
      expect(jobContainer.image, dir).toBe(serving.image);
      expect(jobContainer.command ?? serving.command, dir).toEqual(serving.command);
      expect(jobContainer.env?.find((variable) => variable.name === "MIGRATE_ONLY")?.value, dir).toBe("true");
      const withoutFlag = (jobContainer.env ?? []).filter((variable) => variable.name !== "MIGRATE_ONLY");
      expect(withoutFlag, `${dir}: the Job's environment is the Deployment's`).toEqual(serving.env);
      expect(jobContainer.envFrom, dir).toEqual(serving.envFrom);
      expect(job?.spec?.template.spec?.restartPolicy, dir).toBe("Never");
    }
  });

  it("Secrets are referenced, never committed: CloudNativePG's per service, the others shown only in examples/secrets with placeholder values", async () => {
    await renderAll();
    const example = objectsOf(EXAMPLE_SECRETS).map((object) => new Secret(object as never));
    for (const dir of KUSTOMIZATIONS) {
      const objects = objectsOf(dir);
      expect(objects.filter((object) => object.kind === "Secret").map((object) => object.metadata.name), dir).toEqual([]);
      const workloads = [...ofKind(objects, "Deployment", Deployment), ...ofKind(objects, "Job", Job)];
      for (const workload of workloads) {
        const labels = serviceOf(workload.spec?.template.metadata?.labels);
        if (!labels) continue;
        const container = containerOf(workload.spec?.template, `${dir}: ${workload.metadata?.name}`);
        for (const variable of container.env ?? []) {
          const ref = variable.valueFrom?.secretKeyRef;
          if (!ref) continue;
          const where = `${dir}: ${workload.metadata?.name}: ${variable.name}`;
          if (ref.name === `${labels.service}-db-app`) {
            // CloudNativePG's Secret of the service's own Cluster, whose database is the one the service uses.
            expect(ref.key, where).toBe("uri");
            const cluster = named(objects, "Cluster", `${labels.service}-db`) as z.infer<typeof PostgresCluster> | undefined;
            expect(cluster?.spec.bootstrap.initdb.database, where).toBe(container.env?.find((v) => v.name === "SERVICE_DATABASE")?.value);
          } else if (!ref.optional) {
            const secret = example.find((candidate) => candidate.metadata?.name === ref.name);
            expect(secret?.data?.[ref.key], `${where}: examples/secrets shows ${ref.name}.${ref.key}`).toBeDefined();
          }
        }
      }
    }
    for (const secret of example) {
      for (const [key, value] of Object.entries(secret.data ?? {})) expect(Buffer.from(value, "base64").toString(), `${secret.metadata?.name}.${key}`).toMatch(/^REPLACE-ME/);
    }
  });

  it("a KafkaTopic for every topic of the contracts and its dead-letter twin, and no consumer group has more pods than a topic it reads has partitions", async () => {
    await renderAll();
    const wanted = Object.values(Topics).flatMap((topic) => [topic, deadLetterTopic(topic)]);
    for (const dir of KUSTOMIZATIONS) {
      const objects = objectsOf(dir);
      const topics = new Map(objects.filter((object) => object.kind === "KafkaTopic").map((object) => {
        const topic = object as unknown as z.infer<typeof KafkaTopic>;
        return [topic.spec.topicName, topic] as const;
      }));
      expect([...topics.keys()].sort(), dir).toEqual([...wanted].sort());
      for (const topic of topics.values()) {
        // The services read from offset 0 when they first join, and statistics rebuilds from it.
        expect(topic.spec.config?.["retention.ms"], `${dir}: ${topic.spec.topicName}`).toBe(-1);
        expect(topic.metadata.labels["strimzi.io/cluster"], dir).toBe(named(objects, "Kafka", "kruzhok")?.metadata.name);
      }
      for (const service of SERVICES) {
        const pods = maxPods(objects, service);
        for (const topic of CONSUMES[service]) {
          const partitions = topics.get(topic)?.spec.partitions ?? 0;
          expect(partitions, `${dir}: ${service} runs up to ${pods} pods reading ${topic}`).toBeGreaterThanOrEqual(pods);
        }
      }
    }
  });

  it("each service's Postgres admits the connections of its pods at their most (a pool of 20 and one more each, a migration Job, reserved slots)", async () => {
    await renderAll();
    for (const dir of KUSTOMIZATIONS) {
      const objects = objectsOf(dir);
      for (const service of SERVICES) {
        const cluster = named(objects, "Cluster", `${service}-db`) as z.infer<typeof PostgresCluster> | undefined;
        const maxConnections = Number(cluster?.spec.postgresql?.parameters?.max_connections ?? 100);
        expect(maxConnections, `${dir}: ${service}-db for ${maxPods(objects, service)} pods`).toBeGreaterThanOrEqual(maxPods(objects, service) * 21 + 1 + 3);
      }
    }
  });

  it.each(["overlays/production", "overlays/region-opening-day"] as const)("%s: three Kafka nodes, every topic on three replicas with two in sync, three Postgres instances with a synchronous standby, images pinned", async (dir) => {
    await renderAll();
    const objects = objectsOf(dir);
    const pools = objects.filter((object) => object.kind === "KafkaNodePool") as unknown as { spec: { replicas: number; roles: string[] } }[];
    expect(pools.filter((pool) => pool.spec.roles.includes("controller")).reduce((n, pool) => n + pool.spec.replicas, 0)).toBe(3);
    expect(pools.filter((pool) => pool.spec.roles.includes("broker")).reduce((n, pool) => n + pool.spec.replicas, 0)).toBeGreaterThanOrEqual(3);
    const kafka = named(objects, "Kafka", "kruzhok") as unknown as { spec: { kafka: { config: Record<string, unknown> } } };
    expect(kafka.spec.kafka.config).toMatchObject({ "default.replication.factor": 3, "min.insync.replicas": 2, "offsets.topic.replication.factor": 3 });
    for (const object of objects.filter((candidate) => candidate.kind === "KafkaTopic")) {
      const topic = object as unknown as z.infer<typeof KafkaTopic>;
      expect([topic.spec.replicas, topic.spec.config?.["min.insync.replicas"]], topic.spec.topicName).toEqual([3, 2]);
    }
    for (const service of SERVICES) {
      const cluster = named(objects, "Cluster", `${service}-db`) as z.infer<typeof PostgresCluster> | undefined;
      expect(cluster?.spec.instances, service).toBe(3);
      expect(cluster?.spec.postgresql?.synchronous, service).toMatchObject({ number: 1, dataDurability: "required" });
    }
    const images = [...ofKind(objects, "Deployment", Deployment), ...ofKind(objects, "Job", Job)].map((workload) => containerOf(workload.spec?.template, String(workload.metadata?.name)).image ?? "");
    for (const image of images) expect(image, "a tag other than latest").toMatch(/:(?!latest$)[\w][\w.-]*$/);
    expect(objects.every((object) => object.kind === "Namespace" || object.metadata.namespace === "kruzhok")).toBe(true);
    // The portal is reachable from outside, through a Service and port that exist.
    const backends = ofKind(objects, "Ingress", Ingress).flatMap((ingress) => ingress.spec?.rules?.flatMap((rule) => rule.http?.paths.map((path) => path.backend.service)) ?? []);
    expect(backends.map((backend) => backend?.name)).toEqual(["portal"]);
    for (const backend of backends) {
      const service = ofKind(objects, "Service", Service).find((candidate) => candidate.metadata?.name === backend?.name);
      expect(service?.spec?.ports?.map((port) => port.name)).toContain(backend?.port?.name);
    }
  });

  it("the region's opening day raises enrollment's, the search's and the portal's floors, and changes nothing stateful", async () => {
    await renderAll();
    const production = objectsOf("overlays/production");
    const openingDay = objectsOf("overlays/region-opening-day");
    const key = (object: K8sObject) => `${object.kind}/${object.metadata.name}`;
    const before = new Map(production.map((object) => [key(object), object]));
    const changed = openingDay.filter((object) => JSON.stringify(object) !== JSON.stringify(before.get(key(object)))).map(key).sort();
    expect(changed).toEqual(["Deployment/portal", "HorizontalPodAutoscaler/catalogue-search", "HorizontalPodAutoscaler/enrollment"]);
    expect(openingDay.length).toBe(production.length);
    const floor = (objects: K8sObject[], name: string) => new HorizontalPodAutoscaler(named(objects, "HorizontalPodAutoscaler", name) as never).spec?.minReplicas ?? 1;
    // README.md, "How a country runs it": ~3 cores of enrollment at the 60 % target is 5 pods, and one spare.
    expect(floor(openingDay, "enrollment")).toBe(6);
    expect(floor(openingDay, "enrollment")).toBeGreaterThan(floor(production, "enrollment"));
    expect(floor(openingDay, "catalogue-search")).toBeGreaterThan(floor(production, "catalogue-search"));
  });
});
