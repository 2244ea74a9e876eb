import { execFile } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { dirname, join, posix, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { DockerfileParser, type Copy, type Env, type Instruction } from "dockerfile-ast";
import { validate } from "dockerfile-utils";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isolate, startServiceProcess } from "@kruzhok/testkit";

// deploy/docker/Dockerfile without a Docker engine (there is none on these machines): checked by
// the Dockerfile language service's validator (dockerfile-utils, what editors run), read with its
// parser for the rules an image of ours keeps, and its build stage replayed: every COPY done from
// the checkout as the build context (.dockerignore applied) into a folder standing for the
// container's root, and every RUN run there, so a file the build needs but the Dockerfile does
// not copy fails here as it would fail `docker build`. What was not run: the base image's own
// layers and `docker build` itself (README, "With Docker").

const root = fileURLToPath(new URL("../..", import.meta.url));
const text = readFileSync(join(root, "deploy/docker/Dockerfile"), "utf8");
const run = promisify(execFile);

interface Stage {
  name: string | null;
  image: string;
  instructions: Instruction[];
}

/** The Dockerfile's stages in order, each with its instructions after its FROM. */
function stages(): { args: Map<string, string>; stages: Stage[] } {
  const args = new Map<string, string>();
  const found: Stage[] = [];
  for (const instruction of DockerfileParser.parse(text).getInstructions()) {
    const keyword = instruction.getKeyword();
    const words = instruction.getArguments().map((argument) => argument.getValue());
    if (keyword === "FROM") {
      const as = words.findIndex((word) => word.toUpperCase() === "AS");
      found.push({ name: as >= 0 ? (words[as + 1] ?? null) : null, image: words[0] ?? "", instructions: [] });
    } else if (found.length === 0 && keyword === "ARG") {
      const [name, value = ""] = (words[0] ?? "").split("=");
      args.set(name!, value);
    } else {
      found.at(-1)?.instructions.push(instruction);
    }
  }
  return { args, stages: found };
}

const { args, stages: all } = stages();
const runtime = all.at(-1)!;
const buildStage = all.find((stage) => stage.name === "build")!;
const words = (instruction: Instruction) => instruction.getArguments().map((argument) => argument.getValue());
const ofKind = (stage: Stage, keyword: string) => stage.instructions.filter((instruction) => instruction.getKeyword() === keyword);

// A .dockerignore pattern (the forms ours uses: a leading double-star folder, `*`, plain paths) as
// a test of a context-relative path and of what is under it.
function ignoreRule(pattern: string): RegExp {
  let source = "";
  for (let i = 0; i < pattern.length; ) {
    if (pattern.startsWith("**/", i)) {
      source += "(?:.*/)?";
      i += 3;
    } else if (pattern[i] === "*") {
      source += "[^/]*";
      i += 1;
    } else {
      source += pattern[i]!.replace(/[\\^$.*+?()[\]{}|]/g, "\\$&");
      i += 1;
    }
  }
  return new RegExp(`^${source}(?:/.*)?$`);
}
const ignored = readFileSync(join(root, ".dockerignore"), "utf8")
  .split("\n")
  .map((line) => line.trim())
  .filter((line) => line && !line.startsWith("#"))
  .map(ignoreRule);
const isIgnored = (path: string) => ignored.some((rule) => rule.test(path));

describe("deploy/docker/Dockerfile", () => {
  it("has no problem the Dockerfile language service reports", () => {
    expect(validate(text)).toEqual([]);
    // The validator is awake: a broken instruction is reported.
    expect(validate(text.replace("EXPOSE 3000", "EXPOSE three-thousand")).length).toBeGreaterThan(0);
  });

  it("is built in stages, on the Node major the project runs on", () => {
    expect(all.map((stage) => stage.name)).toEqual(["build", "runtime"]);
    const image = args.get("NODE_IMAGE") ?? "";
    const engines = (JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { engines: { node: string } }).engines.node;
    const fetched = /KRUZHOK_NODE_MAJOR=(\d+)/.exec(readFileSync(join(root, "deploy/local/node.sh"), "utf8"))?.[1];
    expect(image).toMatch(/^node:\d+-/);
    expect(image.slice("node:".length).split("-")[0]).toBe(engines.replace(/^>=/, ""));
    expect(image.slice("node:".length).split("-")[0]).toBe(fetched);
    for (const stage of all) expect(stage.image).toBe("${NODE_IMAGE}");
  });

  it("runs compiled JavaScript with plain node as a non-root user, with a healthcheck on /livez", () => {
    const user = ofKind(runtime, "USER").map(words).at(-1)?.[0] ?? "root";
    expect(user.split(":")[0]).not.toMatch(/^(0|root)$/);
    // The exec form (JSON): node is PID 1 and receives SIGTERM itself, for the service's drain.
    expect(JSON.parse(ofKind(runtime, "CMD").at(-1)?.getArgumentsContent() ?? "null")).toEqual(["node", "--enable-source-maps", "dist/main.mjs"]);
    const healthcheck = ofKind(runtime, "HEALTHCHECK").map((instruction) => instruction.getArgumentsContent() ?? "").join("\n");
    expect(healthcheck).toContain("/livez");
    // The runtime stage installs nothing and carries only the build's output: no pnpm, no tsx, no compiler.
    expect(ofKind(runtime, "RUN")).toEqual([]);
    for (const copy of ofKind(runtime, "COPY")) expect((copy as Copy).getFlags().find((flag) => flag.getName() === "from")?.getValue()).toBe("build");
    expect(text).not.toMatch(/\btsx\b.*main\.ts/);
  });

  it("runs every service with the node flags of its start script, as npm start and the benchmarks do", () => {
    const env = new Map<string, string>();
    for (const instruction of ofKind(runtime, "ENV")) for (const property of (instruction as Env).getProperties()) env.set(property.getName(), property.getValue() ?? "");
    const options = (env.get("NODE_OPTIONS") ?? "").split(/\s+/).filter(Boolean);
    expect(options.length).toBeGreaterThan(0);
    for (const service of readdirSync(join(root, "services"))) {
      const manifest = JSON.parse(readFileSync(join(root, "services", service, "package.json"), "utf8")) as { scripts?: { start?: string } };
      const flags = /^tsx((?:\s+--\S+)*)\s+src\/main\.ts$/.exec(manifest.scripts?.start ?? "")?.[1]?.trim().split(/\s+/).filter(Boolean);
      expect(flags, `services/${service}/package.json start`).toBeDefined();
      // The same flags both ways: the image runs neither fewer (an unmeasured heap) nor more.
      expect([...options].sort(), service).toEqual([...(flags ?? [])].sort());
    }
  });

  it("copies from the context only what exists and .dockerignore leaves in", () => {
    for (const copy of ofKind(buildStage, "COPY")) {
      for (const source of words(copy).filter((word) => !word.startsWith("--")).slice(0, -1)) {
        expect(existsSync(join(root, source)), source).toBe(true);
        expect(isIgnored(source), source).toBe(false);
      }
    }
    for (const path of ["node_modules", "services/registry/node_modules", ".local", ".git", "x/debug.log"]) expect(isIgnored(path), path).toBe(true);
  });
});

describe("the build stage, replayed without a Docker engine", () => {
  let replay = "";
  beforeAll(() => {
    replay = mkdtempSync(join(root, ".local", "dockerfile-replay-"));
  });
  afterAll(() => rmSync(replay, { recursive: true, force: true }));
  const inContainer = (path: string) => join(replay, path);

  /** COPY: each source from the checkout (the context), .dockerignore applied, into `dest` under `workdir`. */
  function copy(sources: string[], dest: string, workdir: string): void {
    const target = inContainer(posix.isAbsolute(dest) ? dest : posix.join(workdir, dest));
    for (const source of sources) {
      const from = join(root, source);
      const into = dest.endsWith("/") || sources.length > 1 ? join(target, source.split("/").at(-1)!) : target;
      if (statSync(from).isDirectory()) {
        cpSync(from, into, { recursive: true, filter: (path) => !isIgnored(relative(root, path)) });
      } else {
        mkdirSync(dirname(into), { recursive: true });
        cpSync(from, into);
      }
    }
  }

  it("makes the registry's folder from the copied context alone, and it migrates under plain node", async () => {
    const env: Record<string, string> = { SERVICE: "registry" };
    let workdir = "/";
    for (const instruction of buildStage.instructions) {
      const keyword = instruction.getKeyword();
      if (keyword === "WORKDIR") workdir = words(instruction)[0]!;
      else if (keyword === "COPY") {
        const parts = words(instruction).filter((word) => !word.startsWith("--"));
        copy(parts.slice(0, -1), parts.at(-1)!, workdir);
      } else if (keyword === "RUN") {
        const command = instruction.getArgumentsContent() ?? "";
        // The image's global pnpm is the project's pinned pnpm (deploy/local/pnpm.sh) here.
        if (command.startsWith("npm install -g pnpm@")) continue;
        const local = command.replace(/(^|\s)\/out\b/g, `$1${inContainer("/out")}`);
        mkdirSync(inContainer(workdir), { recursive: true });
        await run("bash", ["-c", `source ${join(root, "deploy/local/pnpm.sh")} && set -eu && ${local}`], {
          cwd: inContainer(workdir),
          env: { ...process.env, ...env, NODE_OPTIONS: "" },
          maxBuffer: 32 * 1024 * 1024,
        });
      }
    }
    const out = inContainer("/out");
    expect(readdirSync(out).sort()).toEqual(["dist", "node_modules", "openapi.json", "package.json"]);
    // What the runtime stage's CMD runs, with MIGRATE_ONLY (the migration Job's mode): it migrates and exits 0.
    const isolation = await isolate("dockerfile-replay");
    try {
      const migrating = startServiceProcess(join(out, "dist/main.mjs"), {
        MIGRATE_ONLY: "true",
        AUTH_MODE: "development",
        HOST: "127.0.0.1",
        PORT: "1",
        DATABASE_URL: isolation.infra.databaseUrl,
        SERVICE_DATABASE: new URL(isolation.databaseUrl).pathname.slice(1),
        REDIS_URL: "redis://127.0.0.1:1",
        KAFKA_BROKERS: "127.0.0.1:1",
      });
      expect(await migrating.exited, migrating.output()).toBe(0);
      expect(migrating.output()).toContain("migrations applied; exiting (MIGRATE_ONLY)");
    } finally {
      await isolation.cleanup();
    }
  }, 600_000);
});
