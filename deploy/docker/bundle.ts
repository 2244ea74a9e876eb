// One service compiled to plain JavaScript for its image: `tsx deploy/docker/bundle.ts SERVICE OUT`
// writes OUT/dist/main.mjs (and OUT/dist/seed.mjs where the service has a demo seed), run by
// plain `node` with no loader. deploy/docker/build-service runs it after `pnpm deploy`, which
// puts the npm dependencies in OUT/node_modules.
//
// What is bundled and what is not:
// - the service and the workspace packages (@kruzhok/*) are bundled: they are TypeScript read
//   from source, which plain node cannot load (relative imports without extensions, parameter
//   properties);
// - npm packages stay in node_modules and are imported from there: some read their own files at
//   run time (the docs page's assets, ECharts' script), which a bundle would lose;
// - files a module reads beside itself at run time (`new URL("./…", import.meta.url)`: migrations,
//   the statistics' worker thread) are copied under dist/files/<the module's folder in the
//   workspace>, and the module's URLs are rewritten to that place, because in the bundle
//   import.meta.url is dist/main.mjs. Two modules' `./migrations` then stay apart.
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build, type Plugin } from "esbuild";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const [service, outArg] = process.argv.slice(2);
if (!service || !outArg || !existsSync(join(root, "services", service, "package.json"))) {
  process.stderr.write("usage: tsx deploy/docker/bundle.ts SERVICE OUT (SERVICE is a folder under services/)\n");
  process.exit(2);
}
const out = resolve(outArg, "dist");
const files = join(out, "files");

/** Bare imports other than the workspace's own stay imports of node_modules. */
const npmExternal: Plugin = {
  name: "npm-external",
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) => (args.path.startsWith("@kruzhok/") ? undefined : { path: args.path, external: true }));
  },
};

/** Workspace folders whose run-time files were referenced: copied once the bundle is written. */
const referenced = new Set<string>();

const relativeUrls: Plugin = {
  name: "relative-urls",
  setup(b) {
    b.onLoad({ filter: /\.ts$/ }, (args) => {
      if (args.path.includes("/node_modules/")) return undefined;
      const source = readFileSync(args.path, "utf8");
      if (!source.includes("import.meta.url")) return undefined;
      const folder = relative(root, dirname(args.path));
      // `new URL("./x", import.meta.url)` and the template form `new URL(\`./x/${f}\`, …)`.
      const rewritten = source.replace(/new URL\((["'`])\.\//g, (_match, quote: string) => {
        referenced.add(folder);
        return `new URL(${quote}./files/${folder}/`;
      });
      return { contents: rewritten, loader: "ts" };
    });
  },
};

const entries: Record<string, string> = { main: join(root, "services", service, "src/main.ts") };
const seed = join(root, "services", service, "scripts/seed.ts");
if (existsSync(seed)) entries.seed = seed;

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
await build({
  entryPoints: entries,
  outdir: out,
  outExtension: { ".js": ".mjs" },
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node26",
  sourcemap: "linked",
  // Stack traces in the logs name the source file and line (node --enable-source-maps, Dockerfile).
  sourcesContent: false,
  legalComments: "none",
  logLevel: "warning",
  plugins: [npmExternal, relativeUrls],
});

for (const folder of referenced) {
  const source = join(root, folder);
  for (const entry of readdirSync(source, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || entry.name.endsWith(".ts") || entry.name.endsWith(".mjs")) continue;
    const from = join(entry.parentPath, entry.name);
    const to = join(files, relative(root, from));
    mkdirSync(dirname(to), { recursive: true });
    cpSync(from, to);
  }
}

// The statistics' worker thread: in the workspace a `.mjs` that registers tsx and loads its
// TypeScript; in the image the same file name holds the thread compiled.
const thread = join(root, "services", service, "src/workers/block-thread.ts");
if (existsSync(thread)) {
  await build({
    entryPoints: [thread],
    outfile: join(files, relative(root, thread).replace(/\.ts$/, ".mjs")),
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node26",
    logLevel: "warning",
    plugins: [npmExternal],
  });
}
