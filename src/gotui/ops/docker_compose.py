"""Compose projects from container labels (as lazydocker groups them), and their Actions.

A container belongs to project P when it carries `com.docker.compose.project=P`; its service is
`com.docker.compose.service`, and the project's files and directory come from
`com.docker.compose.project.config_files` / `.working_dir`. No compose CLI is needed to list, start,
stop, restart or take a project down (stop + remove its containers); `up` needs the files and the CLI.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass, field
from typing import Any

from gotui.ops.actions import Action
from gotui.ops.docker_ops import ContainerRow, container_rows

PROJECT = "com.docker.compose.project"
SERVICE = "com.docker.compose.service"
CONFIG_FILES = "com.docker.compose.project.config_files"
WORKING_DIR = "com.docker.compose.project.working_dir"
NUMBER = "com.docker.compose.container-number"


@dataclass
class Project:
    name: str
    config_files: str = ""
    working_dir: str = ""
    containers: list[ContainerRow] = field(default_factory=list)
    services: dict[str, str] = field(default_factory=dict)  # container id -> service

    @property
    def running(self) -> int:
        return sum(1 for c in self.containers if c.state == "running")

    def names(self) -> list[str]:
        return [c.name for c in self.containers]


def projects(containers: list[dict[str, Any]]) -> list[Project]:
    """Compose projects, sorted by name; each project's containers by service then name."""
    by_id = {c.get("Id", ""): c for c in containers}
    out: dict[str, Project] = {}
    for row in container_rows(containers):
        labels = by_id.get(row.key, {}).get("Labels") or {}
        name = labels.get(PROJECT)
        if not name:
            continue
        p = out.setdefault(name, Project(name))
        p.config_files = p.config_files or str(labels.get(CONFIG_FILES) or "")
        p.working_dir = p.working_dir or str(labels.get(WORKING_DIR) or "")
        p.containers.append(row)
        p.services[row.key] = str(labels.get(SERVICE) or "?")
    for p in out.values():
        p.containers.sort(key=lambda r: (p.services[r.key], r.name))
    return [out[k] for k in sorted(out)]


def ungrouped(containers: list[dict[str, Any]]) -> list[ContainerRow]:
    """Containers that belong to no compose project."""
    by_id = {c.get("Id", ""): c for c in containers}
    return [r for r in container_rows(containers) if not (by_id.get(r.key, {}).get("Labels") or {}).get(PROJECT)]


_PREVIEW = {"start": "docker start", "stop": "docker stop", "restart": "docker restart", "down": "docker rm --force"}


def project_action(verb: str, project: Project, host: str) -> Action:
    """verb: start, stop, restart or down. The dialog lists every container it touches."""
    names = project.names()
    lines = [f"  {project.services[c.key]:<14} {c.name} ({c.state})" for c in project.containers[:12]]
    if len(names) > 12:
        lines.append(f"  … and {len(names) - 12} more")
    what = {"down": "stopped and REMOVED (volumes and networks stay)"}.get(verb, f"{verb}ed".replace("stoped", "stopped"))
    detail = f"{len(names)} container(s) of project {project.name} are {what}: ⏎ " + " ⏎ ".join(lines)
    if project.working_dir:
        detail += f" ⏎ dir {project.working_dir}"
    cli = f"docker compose -p {project.name} {verb}"
    return Action(verb=verb, kind="compose-project", target=project.name, context=host,
                  preview=f"{cli}   (as: {_PREVIEW[verb]} " + " ".join(names[:4]) + (" …" if len(names) > 4 else "") + ")",
                  reversible=verb != "down", detail=detail,
                  params={"ids": [c.key for c in project.containers], "names": names})


def compose_cli() -> list[str] | None:
    """The compose command that works here (`docker compose` or `docker-compose`), or None."""
    docker = shutil.which("docker")
    if docker:
        try:
            done = subprocess.run([docker, "compose", "version"], capture_output=True, timeout=10, check=False)  # noqa: S603
            if done.returncode == 0:
                return [docker, "compose"]
        except (OSError, subprocess.TimeoutExpired):
            pass
    legacy = shutil.which("docker-compose")
    return [legacy] if legacy else None


NO_COMPOSE = ("`up` needs the compose CLI, which is not installed here (neither `docker compose` nor "
              "`docker-compose` runs), and the project's compose files. Install Debian's docker-compose or the Docker Compose plugin "
              "(apt-get install docker-compose, or docker-compose-plugin from Docker's repository) to bring projects up; start, stop, "
              "restart and down work without it.")


def up_command(project: Project, cli: list[str]) -> list[str]:
    """`docker compose -p P -f F... up -d` run from the project's working directory."""
    cmd = [*cli, "-p", project.name]
    for f in [f for f in project.config_files.split(",") if f]:
        cmd += ["-f", f]
    return [*cmd, "up", "-d"]
