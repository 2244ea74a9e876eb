import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";

// docker-compose.yml without a Docker engine (there is none on these machines): checked by dclint
// (the Compose Specification's JSON schema and its rules), run as a process, then held to the
// rules of our stack. What was not run: `docker compose up` itself (README, "With Docker"); the
// images it builds are checked by dockerfile.e2e and images.e2e.

const root = fileURLToPath(new URL("../..", import.meta.url));
const file = readFileSync(join(root, "docker-compose.yml"), "utf8");
// `merge: true`: the file's `<<: *service` keys, as compose reads them.
const run = promisify(execFile);
// Its package exports no bin path: found beside its manifest.
const dclint = join(dirname(createRequire(import.meta.url).resolve("dclint/package.json")), "bin/dclint.cjs");
const compose = parse(file, { merge: true }) as { name?: string; services: Record<string, Service> };

interface Service {
  image?: string;
  build?: { context: string; dockerfile: string; args?: Record<string, string> };
  command?: string[];
  ports?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  read_only?: boolean;
  tmpfs?: string[];
  restart?: string;
}

/** The services of the workspace that run (a start script and a port), in the order npm start starts and seeds them. */
const ours = readdirSync(join(root, "services"))
  // A service is a folder with a manifest (as deploy/local/start finds them).
  .filter((name) => existsSync(join(root, "services", name, "package.json")))
  .map((name) => {
    const manifest = JSON.parse(readFileSync(join(root, "services", name, "package.json"), "utf8")) as { scripts?: Record<string, string>; kruzhok?: { port?: number } };
    return { name, port: manifest.kruzhok?.port, seeds: manifest.scripts?.seed !== undefined };
  })
  .filter((service): service is { name: string; port: number; seeds: boolean } => service.port !== undefined)
  .sort((a, b) => a.port - b.port);

describe("docker-compose.yml", () => {
  it("passes dclint: the Compose Specification's schema and its rules (deploy/docker/dclint.yaml)", async () => {
    const lint = (path: string) =>
      run(process.execPath, [dclint, "--config", join(root, "deploy/docker/dclint.yaml"), "--max-warnings", "0", "--color", "false", path]).then(
        () => ({ code: 0, output: "" }),
        (error: { code: number; stdout: string }) => ({ code: error.code, output: error.stdout }),
      );
    expect(await lint(join(root, "docker-compose.yml"))).toEqual({ code: 0, output: "" });
    // The validator is awake: a misspelt top-level key fails the schema.
    const broken = join(mkdtempSync(join(tmpdir(), "kruzhok-compose-")), "docker-compose.yml");
    writeFileSync(broken, file.replace(/^name: /m, "nam: "));
    const refused = await lint(broken);
    expect(refused.code).not.toBe(0);
    expect(refused.output).toContain("invalid-schema");
  });

  it("runs every service of the workspace from the one Dockerfile, in development mode, on a read-only root", () => {
    for (const { name, port } of ours) {
      const service = compose.services[name];
      expect(service, name).toBeDefined();
      expect(service!.build, name).toEqual({ context: ".", dockerfile: "deploy/docker/Dockerfile", args: { SERVICE: name } });
      expect(service!.ports, name).toEqual([`127.0.0.1:${port}:3000`]);
      // An explicit development mode: the stack has no identity provider.
      expect(service!.environment, name).toMatchObject({ AUTH_MODE: "development", NODE_ENV: "development", PORT: "3000" });
      expect(service!.read_only, name).toBe(true);
      expect(service!.tmpfs, name).toContain("/tmp");
    }
  });

  it("publishes nothing beyond the host's loopback, the infrastructure included", () => {
    for (const [name, service] of Object.entries(compose.services)) {
      for (const port of service.ports ?? []) expect(port, name).toMatch(/^127\.0\.0\.1:\d+:\d+$/);
    }
    expect(compose.services.postgres?.ports).toEqual(["127.0.0.1:5432:5432"]);
  });

  it("runs the Kafka version the README names and deploy/local runs", () => {
    const readme = /Apache Kafka (\d+\.\d+\.\d+)/.exec(readFileSync(join(root, "README.md"), "utf8"))?.[1];
    expect(readme).toBeDefined();
    expect(compose.services.kafka?.image).toBe(`apache/kafka:${readme}`);
    expect(readFileSync(join(root, "deploy/local/kafka/pom.xml"), "utf8")).toContain(`<kafka.version>${readme}</kafka.version>`);
  });

  it("gives the portal every service's address by its compose name", () => {
    const env = compose.services.portal?.environment ?? {};
    for (const { name } of ours.filter((service) => service.name !== "portal")) {
      expect(env[`${name.toUpperCase()}_URL`], name).toBe(`http://${name}:3000`);
      expect(compose.services.portal?.depends_on?.[name], name).toEqual({ condition: "service_healthy" });
    }
  });

  it("loads the demo data once the services answer, each seed after the one before, as npm start does", () => {
    const seeded = ours.filter((service) => service.seeds).map((service) => service.name);
    expect(seeded.length).toBeGreaterThan(0);
    let before: string | undefined;
    for (const name of seeded) {
      const seed = compose.services[`seed-${name}`];
      expect(seed, `seed-${name}`).toBeDefined();
      // The service's own build, running its compiled seed once.
      expect(seed!.build).toEqual(compose.services[name]!.build);
      expect(seed!.command).toEqual(["node", "--enable-source-maps", "dist/seed.mjs"]);
      expect(seed!.restart).toBe("no");
      expect(seed!.depends_on?.[name]).toEqual({ condition: "service_healthy" });
      if (before) expect(seed!.depends_on?.[`seed-${before}`]).toEqual({ condition: "service_completed_successfully" });
      before = name;
    }
  });

  it("starts nothing on a dependency that is not in the file", () => {
    for (const [name, service] of Object.entries(compose.services)) {
      for (const dependency of Object.keys(service.depends_on ?? {})) expect(compose.services[dependency], `${name} -> ${dependency}`).toBeDefined();
    }
  });
});
