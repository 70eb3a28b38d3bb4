#!/usr/bin/env bash
# Set everything up on a Debian machine and run the whole test suite.
#
#   bash scripts/test.sh              # ruff + mypy, the floors (scripts/test_floors.sh), the whole suite
#   GOTUI_COVERAGE=1 bash scripts/test.sh   # the same, measured, with the coverage gate
#                                           # (lines >= 80%, branches >= 60%)
#   bash scripts/test.sh tests/unit   # just some tests (no gate), same set-up
#   GOTUI_TEST_SANDBOX_TLS=0 bash scripts/test.sh tests/kube   # those tests against plain-HTTP sandboxes
#
# One pass: every sandbox fixture serves HTTPS from its own CA and requires client certificates
# (tests/fixtures/sandbox.py), as a real cluster does; the demo's plain-HTTP sandbox is covered by its
# end-to-end test.
#
# Installs (only what is missing): Debian's docker.io, busybox-static, tmux, openssh-server/-client;
# gotui with its dev extra (pip install -e '.[dev]'); starts a private Docker engine when none answers.
# Run as root (or with sudo available) when packages are missing. With CI=true a missing Docker engine
# is an error, and Docker-dependent tests fail instead of skipping.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/setup_env.sh

started=$(date +%s)
ensure_apt_packages docker.io:dockerd docker.io:docker docker-compose:docker-compose busybox-static: tmux:tmux \
  openssh-server:/usr/sbin/sshd openssh-client:ssh
choose_python
ensure_python_packages dev
if ! ensure_docker_engine; then
  if [ "${CI:-}" = "true" ]; then die "no Docker engine could be started (CI needs one)"; fi
  log "WARNING: no Docker engine; Docker tests will skip (they fail under CI=true)"
fi
log "set-up done in $(( $(date +%s) - started )) s; python: $PY; gotui: $(command -v gotui)"

# Tests never touch the operator's own config, state or kube cache.
export GOTUI_TEST_HOME="${GOTUI_TEST_HOME:-$(mktemp -d /tmp/gotui-test-home.XXXXXX)}"
export XDG_STATE_HOME="$GOTUI_TEST_HOME/state" XDG_CONFIG_HOME="$GOTUI_TEST_HOME/config"
# (bytecode is cached: every sandbox and gotui subprocess compiled the whole package again without it)

# Coverage (GOTUI_COVERAGE=1): the suite measured in-process and in every Python subprocess, then the
# gate (lines >= 80%, branches >= 60%). Off by default: it made the suite 66% slower (110 s vs 66 s on
# the command-mode and unit tests), which took CI past its 20 minutes.
coverage=${GOTUI_COVERAGE:-0}
cov_args=()
if [ "$coverage" = 1 ]; then
  export GOTUI_COVERAGE_DIR="$PWD/.coverage-data"
  export GOTUI_COVERAGE_SOURCE="$PWD/src/gotui"
  rm -rf "$GOTUI_COVERAGE_DIR" coverage.json
  mkdir -p "$GOTUI_COVERAGE_DIR"
  cov_args=(--cov --cov-config=.ci/coveragerc --cov-report=)
fi

gate=1
if [ $# -gt 0 ]; then gate=0; fi
workers=()
if "$PY" -c 'import xdist' 2>/dev/null; then workers=(-n "${GOTUI_TEST_WORKERS:-2}" --dist loadgroup); fi

if [ $gate = 1 ]; then  # the whole run: static checks first (seconds), then the suite
  "$PY" -m ruff check src tests || die "ruff found problems (run: ruff check --fix src tests)"
  "$PY" -m mypy --no-incremental || die "mypy found type errors (config: [tool.mypy] in pyproject.toml)"
  # The floors: the fast tests again with every runtime dependency at the lowest version pyproject allows.
  t0=$(date +%s)
  PYTHON="$PY" bash scripts/test_floors.sh || die "the dependency floors in pyproject.toml are wrong (see above)"
  log "floors passed in $(( $(date +%s) - t0 )) s"
fi

run_pytest() {  # run_pytest LABEL PYTEST-ARGS...: one pass; dies on failure or on no tests collected
  local label=$1 t0 rc
  shift
  t0=$(date +%s)
  set +e
  "$PY" -m pytest -p no:cacheprovider -q -ra --timeout=300 "${workers[@]}" "${cov_args[@]}" "$@"
  rc=$?
  set -e
  case $rc in
    0) ;;
    5) die "$label: pytest collected NO tests (exit code 5): that is a failure, not a pass" ;;
    *) die "$label: pytest failed (exit code $rc)" ;;
  esac
  log "$label passed in $(( $(date +%s) - t0 )) s"
}

if [ "${GOTUI_TEST_SANDBOX_TLS:-1}" = "0" ]; then label="the suite (sandbox over plain HTTP)"; else label="the suite (sandbox over TLS with client certificates)"; fi
run_pytest "$label" "$@"

if [ "$coverage" = 1 ]; then
  export COVERAGE_RCFILE=.ci/coveragerc
  "$PY" -m coverage combine -q "$GOTUI_COVERAGE_DIR" >/dev/null 2>&1 || true
  "$PY" -m coverage report --data-file="$GOTUI_COVERAGE_DIR/.coverage" | tail -n 25
  "$PY" -m coverage json -q --data-file="$GOTUI_COVERAGE_DIR/.coverage" -o coverage.json
  if [ $gate = 1 ]; then
    "$PY" scripts/check_coverage.py coverage.json --lines 80 --branches 60 || die "coverage below the gate"
  else
    "$PY" scripts/check_coverage.py coverage.json --lines 0 --branches 0 >/dev/null
    log "partial run: coverage gate not applied"
  fi
fi
log "all tests passed in $(( $(date +%s) - started )) s"
