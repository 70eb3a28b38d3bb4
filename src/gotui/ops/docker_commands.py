"""Custom commands from the config (`docker_commands:`): placeholders and running them.

A command is a shell line with `{{.Name}}`, `{{.ID}}` and `{{.Image}}` placeholders; each value is
shell-quoted before it is put in, so a container named `x; rm -rf /` stays one harmless word.
The command runs with `sh -c`, DOCKER_HOST set to gotui's engine, stdout and stderr merged.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
from collections.abc import Callable
from dataclasses import dataclass

from gotui.ops.actions import Action

PLACEHOLDER = re.compile(r"\{\{\s*\.(\w+)\s*\}\}")
FIELDS = ("Name", "ID", "Image")
SCOPES = ("containers", "images")


@dataclass(frozen=True)
class DockerCommand:
    name: str
    key: str
    command: str
    confirm: bool
    scope: str  # containers or images


def unknown_placeholders(template: str) -> list[str]:
    return [m for m in PLACEHOLDER.findall(template) if m not in FIELDS]


def render(template: str, values: dict[str, str]) -> str:
    """`template` with every placeholder replaced by its shell-quoted value."""
    return PLACEHOLDER.sub(lambda m: shlex.quote(values.get(m.group(1), "")), template)


def commands_from_settings(raw: list[dict[str, object]]) -> list[DockerCommand]:
    """The validated config entries (see config.validate_docker_commands) as DockerCommands."""
    return [DockerCommand(name=str(e["name"]), key=str(e["key"]), command=str(e["command"]),
                          confirm=bool(e.get("confirm", False)), scope=str(e.get("scope", "containers")))
            for e in raw]


def command_action(cmd: DockerCommand, line: str, target: str, host: str) -> Action:
    kind = "docker-command"
    return Action(verb="run", kind=kind, target=target, context=host, preview=line,
                  destructive=cmd.confirm, detail=f"custom command {cmd.name!r} on {cmd.scope[:-1]} {target}",
                  params={"command": cmd.name})


def run(line: str, host: str, on_line: Callable[[str], None], *, timeout: float = 600.0) -> int:
    """Run `line` with `sh -c`; every output line goes to `on_line`; returns the exit code."""
    env = dict(os.environ)
    env["DOCKER_HOST"] = host
    proc = subprocess.Popen(["sh", "-c", line], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,  # noqa: S603
                            stdin=subprocess.DEVNULL, env=env)
    assert proc.stdout is not None
    try:
        for raw in proc.stdout:
            on_line(raw.decode("utf-8", "replace").rstrip("\n"))
        return proc.wait(timeout=timeout)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
