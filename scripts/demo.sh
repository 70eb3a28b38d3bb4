#!/usr/bin/env bash
# Set everything up on a Debian machine and start `gotui --demo` (the embedded sandbox cluster, and
# the local Docker engine for the Images pane; a private engine is started when none answers).
#
#   bash scripts/demo.sh            # extra arguments go to gotui, e.g. --readonly
#
# Needs a terminal (it is a TUI). Installs only what is missing, so a second run starts at once.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
source scripts/setup_env.sh

ensure_apt_packages docker.io:dockerd docker.io:docker busybox-static:
choose_python
ensure_python_packages dev
ensure_docker_engine || log "no Docker engine could be started: the Images pane will say so; the rest works"
if [ ! -t 0 ] || [ ! -t 1 ]; then
  die "gotui is a terminal UI: run this from an interactive terminal (ssh -t for a remote one)"
fi
exec gotui --demo "$@"
