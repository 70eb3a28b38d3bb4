#!/usr/bin/env bash
# Start a private Docker engine when none answers; prints `export DOCKER_HOST=...` for eval.
# Usage: eval "$(bash .ci/start-docker.sh)"
set -euo pipefail
if docker info >/dev/null 2>&1; then
  exit 0
fi
DIR="${GOTUI_DOCKER_DIR:-/tmp/gotui-docker}"
SOCK="unix://$DIR/docker.sock"
if DOCKER_HOST="$SOCK" docker info >/dev/null 2>&1; then
  echo "export DOCKER_HOST=$SOCK"
  exit 0
fi
mkdir -p "$DIR"
# A previous session's engine was stopped with it: clear its socket and pid file (the data stays).
engine_alive() {  # a running (not zombie) dockerd with that pid
  local pid="$1"
  [ -n "$pid" ] && [ -d "/proc/$pid" ] && ! grep -q '^State:.*Z' "/proc/$pid/status" 2>/dev/null \
    && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q dockerd
}
if [ -f "$DIR/pid" ] && ! engine_alive "$(cat "$DIR/pid" 2>/dev/null)"; then
  rm -f "$DIR/pid"
fi
if [ ! -f "$DIR/pid" ]; then
  rm -f "$DIR/docker.sock"
fi
if ! command -v dockerd >/dev/null 2>&1; then
  echo "start-docker: dockerd is not installed (apt-get install docker.io)" >&2
  exit 1
fi
nohup dockerd --host "$SOCK" --data-root "$DIR/root" --exec-root "$DIR/exec" \
  --pidfile "$DIR/pid" --iptables=false --ip-masq=false --bridge=none \
  >"$DIR/dockerd.log" 2>&1 &
for _ in $(seq 1 60); do
  if DOCKER_HOST="$SOCK" docker info >/dev/null 2>&1; then
    echo "export DOCKER_HOST=$SOCK"
    exit 0
  fi
  sleep 0.5
done
echo "start-docker: dockerd did not answer within 30 s; see $DIR/dockerd.log:" >&2
tail -20 "$DIR/dockerd.log" >&2
exit 1
