# shellcheck shell=bash
# Sourced by the project's commands: the project's Node first on PATH (node.sh), and `pnpm`
# without a global install. A fresh machine has only npm; npx fetches the pinned pnpm once and
# caches it. npx itself is the machine's, but it starts pnpm through the `node` on PATH, so
# pnpm and every script it runs are on the project's Node.
#
# Run rather than sourced, it is that pnpm on that Node, for a developer's shell:
#   bash deploy/local/pnpm.sh exec vitest run services/registry
PNPM_VERSION=10.34.9
# shellcheck source=deploy/local/node.sh
source "$(dirname "${BASH_SOURCE[0]}")/node.sh"
# Failing here fails the sourcing script (set -e), or the run below.
if ! kruzhok_use_node; then
  if [[ ${BASH_SOURCE[0]} == "$0" ]]; then exit 1; fi
  return 1
fi

pnpm() {
  if command -v pnpm >/dev/null 2>&1 && [ "$(command pnpm --version 2>/dev/null)" = "$PNPM_VERSION" ]; then
    command pnpm "$@"
  else
    npx --yes "pnpm@$PNPM_VERSION" "$@"
  fi
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
  set -euo pipefail
  pnpm "$@"
fi
