#!/usr/bin/env bash
# Checks the deployment files without a Docker engine or a cluster (CI runs it; so can you):
#   1. docker-compose.yml parses and validates with a real Compose implementation (Debian's
#      docker-compose 1.29, installed with apt when missing and we are root), refuses to start
#      without its secrets, and a deliberately broken copy fails (the check can fail);
#   2. the Temporal server pinned in docker-compose.yml is the minor version the dev CLI embeds;
#   3. the Helm chart: `helm lint --strict` and `helm template` for each ci/*-values.yaml, every
#      rendered object decoded strictly into the Kubernetes API types (tools/k8s-validate).
# Exits non-zero on the first failure.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

say() { printf '[check-deploy] %s\n' "$*"; }
fail() { printf '[check-deploy] FAILED: %s\n' "$*" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# --- 1. Compose -----------------------------------------------------------------------------
compose=""
if command -v docker-compose >/dev/null 2>&1; then
  compose=docker-compose
elif [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
  say "installing Debian's docker-compose (a Compose parser; no engine needed)"
  export DEBIAN_FRONTEND=noninteractive
  if ! apt-get install -y -qq docker-compose >"$tmp/apt.log" 2>&1; then
    apt-get update -qq >>"$tmp/apt.log" 2>&1 || true
    apt-get install -y -qq docker-compose >>"$tmp/apt.log" 2>&1 || { tail -20 "$tmp/apt.log" >&2; fail "apt-get install docker-compose"; }
  fi
  compose=docker-compose
fi

if [[ -z "$compose" ]]; then
  say "SKIPPED compose validation: no docker-compose, and apt-get is unavailable or we are not root"
else
  say "compose: $($compose version --short 2>/dev/null || $compose version | head -1)"
  # Placeholders: the file takes every secret from the environment.
  placeholders=(ADMIN_PASSWORD=ci-placeholder SECRET_KEY=ci-placeholder-key-0123456789 POSTGRES_PASSWORD=ci-placeholder)
  env -u ADMIN_PASSWORD -u SECRET_KEY -u POSTGRES_PASSWORD "${placeholders[@]}" \
    $compose -f docker-compose.yml config -q || fail "docker-compose.yml does not validate"
  env -u ADMIN_PASSWORD -u SECRET_KEY -u POSTGRES_PASSWORD "${placeholders[@]}" \
    $compose -f docker-compose.yml config >"$tmp/compose.resolved.yml" || fail "docker-compose.yml does not resolve"
  if env -u ADMIN_PASSWORD -u SECRET_KEY -u POSTGRES_PASSWORD $compose -f docker-compose.yml config -q >/dev/null 2>&1; then
    fail "docker-compose.yml resolves without ADMIN_PASSWORD, SECRET_KEY and POSTGRES_PASSWORD (a secret has a default)"
  fi
  # The parser really validates: an unknown depends_on condition must be rejected.
  sed 's/condition: service_healthy/condition: service_sometimes/' docker-compose.yml >"$tmp/broken.yml"
  if env "${placeholders[@]}" $compose -f "$tmp/broken.yml" --project-directory . config -q >/dev/null 2>&1; then
    fail "the compose parser accepted a deliberately broken file; it is not validating"
  fi
  services=$(env "${placeholders[@]}" $compose -f docker-compose.yml config --services | sort | tr '\n' ' ')
  say "compose OK: services ${services}"

  # --- 2. Temporal versions -----------------------------------------------------------------
  server_tag=$(sed -n 's/.*image: *temporalio\/server:\([0-9.]*\).*/\1/p' "$tmp/compose.resolved.yml" | head -1)
  admin_tag=$(sed -n 's/.*image: *temporalio\/admin-tools:\([0-9.]*\).*/\1/p' "$tmp/compose.resolved.yml" | head -1)
  [[ -n "$server_tag" && "$server_tag" == "$admin_tag" ]] ||
    fail "temporalio/server ($server_tag) and temporalio/admin-tools ($admin_tag) must be the same release"
  cli=$(npm run --silent install-temporal 2>/dev/null | tail -1)
  embedded=$("$cli" --version | sed -n 's/.*Server \([0-9.]*\).*/\1/p')
  [[ "${server_tag%.*}" == "${embedded%.*}" ]] ||
    fail "compose runs Temporal $server_tag but the dev CLI embeds $embedded: keep them on one minor version"
  say "Temporal: compose $server_tag, dev CLI $embedded"
fi

# --- 3. Helm chart ----------------------------------------------------------------------------
chart=deploy/helm/provisio
mapfile -t tools < <(npm run --silent install-helm)
helm=${tools[0]}
validator=${tools[1]}
say "helm: $("$helm" version --short)"
for values in "$chart"/ci/*-values.yaml; do
  name=$(basename "$values" -values.yaml)
  "$helm" lint "$chart" --strict --kube-version 1.30.0 -f "$values" >"$tmp/lint.log" 2>&1 || { cat "$tmp/lint.log" >&2; fail "helm lint ($name)"; }
  "$helm" template "provisio-$name" "$chart" --kube-version 1.30.0 -f "$values" >"$tmp/$name.yaml" || fail "helm template ($name)"
  "$validator" <"$tmp/$name.yaml" >"$tmp/validate.log" 2>&1 || { cat "$tmp/validate.log" >&2; fail "rendered objects ($name)"; }
  say "chart OK with $name values: $(tail -1 "$tmp/validate.log"): $(grep -c '^kind:' "$tmp/$name.yaml") objects"
done
# Without secrets the chart must refuse to render.
if "$helm" template provisio "$chart" --kube-version 1.30.0 >/dev/null 2>&1; then
  fail "the chart rendered without secrets"
fi
say "all deployment checks passed"
