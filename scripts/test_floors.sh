#!/usr/bin/env bash
# Test the floors: gotui installed in a fresh virtualenv (no system site-packages) with EXACTLY the lowest
# version of every runtime dependency that pyproject.toml allows (`name>=X` -> `name==X`), then the fast
# tests (tests/unit and the Kubernetes tests that need no cluster) run against it. A floor that cannot be
# installed (another pin needs more) or that fails a test is a wrong floor: raise it in pyproject.toml.
#
#   bash scripts/test_floors.sh            # ~10-40 s: venv + install (uv, cached) + the fast tests
#   PYTHON=python3.12 bash scripts/test_floors.sh
#
# Uses `uv` (the dev extra installs it) to install, else the venv's own pip (slower).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT="$PWD"
PY="${PYTHON:-$(command -v python3 || command -v python)}"
log() { printf '[gotui floors] %s\n' "$*" >&2; }
die() { printf '[gotui floors] ERROR: %s\n' "$*" >&2; exit 1; }

started=$(date +%s)
work="$(mktemp -d /tmp/gotui-floors.XXXXXX)"
trap 'rm -rf "$work"' EXIT

# The floor pins, read from pyproject.toml itself (so a floor raised there is what gets tested).
"$PY" - "$ROOT/pyproject.toml" >"$work/floors.txt" <<'EOF'
import re, sys, tomllib
deps = tomllib.load(open(sys.argv[1], "rb"))["project"]["dependencies"]
for dep in deps:
    spec = dep.split(";")[0].strip()
    m = re.fullmatch(r"([A-Za-z0-9_.\-\[\]]+)\s*>=\s*([0-9][0-9A-Za-z.]*)(\s*,.*)?", spec)
    if not m:
        sys.exit(f"pyproject.toml: {dep!r} has no `>=` floor; give every runtime dependency one")
    print(f"{m.group(1)}=={m.group(2)}")
EOF
log "floors: $(tr '\n' ' ' <"$work/floors.txt")"

venv="$work/venv"
"$PY" -m venv --without-pip "$venv"  # never --system-site-packages: only what is installed below is there
test_deps=(pytest pytest-asyncio pytest-timeout hypothesis)
if command -v uv >/dev/null 2>&1; then
  install=(uv pip install -q --python "$venv/bin/python")
else
  log "uv not found: installing with pip (slower; pip install uv)"
  "$venv/bin/python" -m ensurepip -q >/dev/null
  install=("$venv/bin/python" -m pip install -q --disable-pip-version-check)
fi
# gotui itself from this tree, its dependencies held at the floors (an unsatisfiable floor fails here)
"${install[@]}" -r "$work/floors.txt" -c "$work/floors.txt" "${test_deps[@]}" \
  || die "the floors in pyproject.toml cannot be installed together (see above): raise the one pip/uv names"
leftovers=()  # what building gotui leaves in the tree, unless it was there already (an editable install's)
for d in "$ROOT/build" "$ROOT/src/gotui.egg-info"; do [ -e "$d" ] || leftovers+=("$d"); done
"${install[@]}" --no-deps "$ROOT" || die "gotui does not install"
for d in "${leftovers[@]}"; do rm -rf "$d"; done
"$venv/bin/python" - "$work/floors.txt" <<'EOF' || die "an installed version is not the floor"
import sys
from importlib.metadata import version
bad = []
for line in open(sys.argv[1]):
    name, want = line.strip().split("==")
    name = name.split("[")[0]
    got = version(name)
    norm = lambda v: tuple(int(p) for p in v.split(".") if p.isdigit()) + (0,) * 3
    if norm(got)[:3] != norm(want)[:3]:
        bad.append(f"{name} {got} (floor {want})")
sys.exit("; ".join(bad) or None)
EOF
log "venv ready in $(( $(date +%s) - started )) s"

# The fast tests: no Docker engine, no sandbox cluster (those run in the main passes, at the newest versions).
export GOTUI_TEST_HOME="$work/home" XDG_STATE_HOME="$work/home/state" XDG_CONFIG_HOME="$work/home/config"
export PYTHONDONTWRITEBYTECODE=1
unset PYTHONPATH  # gotui from the venv, as installed
t0=$(date +%s)
set +e
(cd "$ROOT" && "$venv/bin/python" -m pytest -p no:cacheprovider -q -ra --timeout=120 -m "not sandbox and not docker" \
  -W "ignore::pytest.PytestUnknownMarkWarning" tests/unit tests/kube/test_kube_pure.py tests/kube/test_kinds.py \
  tests/kube/test_kube_client.py "$@")
rc=$?
set -e
case $rc in
  0) ;;
  5) die "pytest collected NO tests" ;;
  *) die "tests failed at the floors (exit $rc): raise the floor that breaks them in pyproject.toml" ;;
esac
log "floors passed: tests in $(( $(date +%s) - t0 )) s, all in $(( $(date +%s) - started )) s"
