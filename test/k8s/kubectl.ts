import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { parseAllDocuments } from "yaml";

const run = promisify(execFile);

/** deploy/k8s of this checkout. */
export const k8sDir = fileURLToPath(new URL("../../deploy/k8s/", import.meta.url));

/** One object of a rendered kustomization, as YAML gave it. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
}

// A missing kubectl fails the test with what to do, never skips it: the manifests are then not
// checked at all, which a skipped test would hide.
const HOW_TO_INSTALL =
  "kubectl (1.27 or later, with kustomize v5) is needed to render deploy/k8s: install it " +
  "(https://kubernetes.io/docs/tasks/tools/#kubectl, or `apt-get install kubectl` from pkgs.k8s.io), " +
  "or point KUBECTL at one";

/** The kubectl the tests run: $KUBECTL, or the one on PATH. */
export function kubectlPath(): string {
  return process.env.KUBECTL ?? "kubectl";
}

/** kubectl's client and kustomize versions; throws with how to install it when there is none. */
export async function kubectlVersion(): Promise<{ client: string; kustomize: string }> {
  let stdout: string;
  try {
    ({ stdout } = await run(kubectlPath(), ["version", "--client", "--output=json"], { timeout: 60_000 }));
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === "ENOENT") throw new Error(`${kubectlPath()} not found. ${HOW_TO_INSTALL}`, { cause: error });
    throw error;
  }
  const version = JSON.parse(stdout) as { clientVersion?: { gitVersion?: string }; kustomizeVersion?: string };
  return { client: version.clientVersion?.gitVersion ?? "unknown", kustomize: version.kustomizeVersion ?? "unknown" };
}

/** `kubectl kustomize deploy/k8s/<dir>`, parsed: every object it renders. */
export async function render(dir: string): Promise<K8sObject[]> {
  const { stdout } = await run(kubectlPath(), ["kustomize", `${k8sDir}${dir}`], { timeout: 120_000, maxBuffer: 64 * 1024 * 1024 });
  const documents = parseAllDocuments(stdout);
  const objects: K8sObject[] = [];
  for (const document of documents) {
    if (document.errors.length > 0) throw new Error(`kubectl kustomize ${dir} gave YAML that does not parse: ${document.errors[0]?.message}`);
    const object = document.toJS() as K8sObject | null;
    if (object !== null) objects.push(object);
  }
  return objects;
}
