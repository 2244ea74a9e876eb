import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { serviceUnderTest, startServiceProcess, systemUnderTest, type ServiceUnderTest, type System } from "@kruzhok/testkit";

// What the image runs (deploy/docker/Dockerfile), run here without a Docker engine: each service's
// folder made by deploy/docker/build-service (the Dockerfile's build stage runs the same script:
// `pnpm deploy` of its production dependencies, and its TypeScript compiled to one module), then
// started with plain `node`, no loader, as the image's CMD does, over the real Postgres, Redis and
// Kafka; the compose file's one-shot seeds (the same folders' dist/seed.mjs) fill them with the
// demo data, and the portal, compiled too, draws its pages from them.

const root = fileURLToPath(new URL("../..", import.meta.url));
const run = promisify(execFile);
const services = ["registry", "catalogue", "enrollment", "attendance", "payments", "statistics", "portal"] as const;
type Service = (typeof services)[number];
const backends = ["registry", "catalogue", "enrollment", "attendance", "payments", "statistics"] as const;

let out: string;
const folder = (service: Service) => join(out, service);

let system: System<(typeof backends)[number]> | undefined;
let portal: ServiceUnderTest | undefined;

/** What the checkout holds at its top and under services/ (the build must leave nothing there). */
const checkoutListing = () => [...readdirSync(root), ...readdirSync(join(root, "services")).map((name) => `services/${name}`)].sort();
let listingBefore: string[];

beforeAll(async () => {
  listingBefore = checkoutListing();
  out = mkdtempSync(join(tmpdir(), "kruzhok-images-"));
  // One at a time: each is a pnpm deploy and an esbuild run, both using the machine's two cores.
  for (const service of services) {
    await run("bash", [join(root, "deploy/docker/build-service"), service, folder(service)], { cwd: root, maxBuffer: 16 * 1024 * 1024 });
  }
}, 600_000);

afterAll(async () => {
  await portal?.cleanup();
  await system?.cleanup();
  rmSync(out, { recursive: true, force: true });
});

/** Every file under `dir`, as paths relative to it. */
const filesUnder = (dir: string) => readdirSync(dir, { recursive: true, encoding: "utf8" });

describe("the image's contents (deploy/docker/build-service)", () => {
  it("leaves nothing in the checkout (pnpm deploy's stray bin links are removed)", () => {
    expect(checkoutListing()).toEqual(listingBefore);
  });

  it.each(services)("%s: compiled JavaScript and its production dependencies, no TypeScript and no loader", (service) => {
    const dist = join(folder(service), "dist");
    const main = readFileSync(join(dist, "main.mjs"), "utf8");
    // The workspace's packages are inside the bundle: none is imported from node_modules.
    expect(main).not.toMatch(/from\s*["']@kruzhok\//);
    expect(main).not.toMatch(/["']tsx/);
    expect(filesUnder(dist).filter((file) => file.endsWith(".ts"))).toEqual([]);
    expect(existsSync(join(folder(service), "src"))).toBe(false);
    // The files read beside a module at run time came along: the kit's migrations and the service's own.
    const migrations = filesUnder(dist).filter((file) => file.endsWith(".sql"));
    expect(migrations.some((file) => file.startsWith(`files/services/${service}/src/store/migrations/`))).toBe(true);
    // Production dependencies only: the test runner, the type checker and the linter stay out.
    for (const tool of ["vitest", "typescript", "eslint", "playwright-core"]) expect(existsSync(join(folder(service), "node_modules", tool)), tool).toBe(false);
    expect(existsSync(join(folder(service), "node_modules/fastify/package.json"))).toBe(true);
  });

  it("statistics' worker thread is compiled too and answers a block", async () => {
    const thread = join(folder("statistics"), "dist/files/services/statistics/src/workers/block-thread.mjs");
    expect(readFileSync(thread, "utf8")).not.toContain("tsx");
    // The thread started as workers/blocks.ts starts it, under plain node, given an empty region's block.
    const probe = `
      import { Worker } from "node:worker_threads";
      const worker = new Worker(${JSON.stringify(thread)});
      worker.once("message", (answer) => { process.stdout.write(JSON.stringify(answer)); process.exit(0); });
      worker.once("error", (error) => { process.stderr.write(String(error)); process.exit(1); });
      worker.postMessage({ id: 7, input: { regionCode: "41", month: "2026-11-01", lastDay: "2026-11-30", municipalities: [], population: new Map(),
        budget: new Map(), groups: new Map(), sums: [], waits: [], minCell: 5, withRegion: true } });`;
    const probeFile = join(out, "block-thread-probe.mjs");
    writeFileSync(probeFile, probe);
    // Only PATH in its environment: not the test runner's NODE_OPTIONS.
    const { stdout } = await run(process.execPath, [probeFile], { cwd: folder("statistics"), env: { PATH: process.env.PATH ?? "" } });
    const answer = JSON.parse(stdout) as { id: number; cells?: unknown[]; error?: string };
    expect(answer.error).toBeUndefined();
    expect(answer.id).toBe(7);
    expect(Array.isArray(answer.cells)).toBe(true);
  });
});

describe("the compiled services under plain node, seeded as compose seeds them", () => {
  it("start, answer, take the demo data and draw the portal's pages", async () => {
    const infra = inject("infra");
    const mainOf = (service: Service) => join(folder(service), "dist/main.mjs");
    system = await systemUnderTest(
      infra,
      "images",
      Object.fromEntries(backends.map((service) => [service, { main: mainOf(service) }])) as Record<(typeof backends)[number], { main: string }>,
    );
    await system.start();
    const urls = Object.fromEntries(backends.map((service) => [`${service.toUpperCase()}_URL`, `http://127.0.0.1:${system!.services[service].port}`]));
    portal = await serviceUnderTest(infra, { name: "images_portal", main: mainOf("portal"), topicPrefix: system.topicPrefix, env: urls });
    await portal.start();

    for (const service of [...Object.values(system.services), portal]) {
      expect((await service.call("GET", "/livez")).status, service.name).toBe(200);
      // The docs page serves swagger-ui's own files from node_modules: the reason npm packages stay out of the bundle.
      expect((await service.call("GET", "/docs/static/swagger-ui.css")).status, service.name).toBe(200);
      expect((await service.call("GET", "/docs/json")).json<{ openapi: string }>().openapi, service.name).toMatch(/^3\./);
    }

    // The compose file's seeds, in its order, each with the addresses compose gives it.
    const seed = async (service: Service, env: Record<string, string>) => {
      const database = system!.services[service as (typeof backends)[number]].database;
      // A compiled script runs under plain node, as the service does (testkit's startServiceProcess).
      const seeding = startServiceProcess(join(folder(service), "dist/seed.mjs"), { DATABASE_URL: infra.databaseUrl, SERVICE_DATABASE: database, ...env });
      expect(await seeding.exited, `${service} seed:\n${seeding.output().slice(-3_000)}\n${system!.output(1_500)}`).toBe(0);
    };
    await seed("registry", { REGISTRY_URL: urls.REGISTRY_URL!, SEED_CHILDREN: "30" });
    await seed("catalogue", { SEED_PROGRAMS: "60", SEED_WAIT_SECONDS: "120" });
    await seed("enrollment", { ENROLLMENT_URL: urls.ENROLLMENT_URL!, SEED_WAIT_S: "120" });

    const count = async (service: ServiceUnderTest, table: string) => Number((await service.pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`)).rows[0]!.n);
    expect(await count(system.services.registry, "children")).toBeGreaterThanOrEqual(90);
    expect(await count(system.services.catalogue, "programs")).toBeGreaterThanOrEqual(60);
    expect(await count(system.services.enrollment, "applications")).toBeGreaterThan(0);

    // The portal's pages, with the dashboard's chart script read from node_modules at run time.
    const home = await portal.call("GET", "/");
    expect(home.status).toBe(200);
    expect(home.body).toContain("<html");
    const chart = await portal.call("GET", "/assets/echarts.js");
    expect(chart.status).toBe(200);
    expect(chart.body.length).toBeGreaterThan(500_000);
  }, 900_000);
});
