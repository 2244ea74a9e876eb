# shellcheck shell=bash
# Sourced by the project's commands: `pnpm` without a global install. A fresh machine has only
# npm; npx fetches the pinned pnpm once and caches it.
PNPM_VERSION=10.34.9
pnpm() {
  if command -v pnpm >/dev/null 2>&1 && [ "$(command pnpm --version 2>/dev/null)" = "$PNPM_VERSION" ]; then
    command pnpm "$@"
  else
    npx --yes "pnpm@$PNPM_VERSION" "$@"
  fi
}
