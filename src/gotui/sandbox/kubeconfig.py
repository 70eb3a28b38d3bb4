"""Writes the sandbox's kubeconfig: context `gotui-sandbox`, namespace `shop`, no credentials."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import yaml

CONTEXT = "gotui-sandbox"


def default_path(port: int) -> Path:
    """$XDG_RUNTIME_DIR (or the temp dir) / gotui-sandbox-<port>.kubeconfig."""
    base = os.environ.get("XDG_RUNTIME_DIR") or tempfile.gettempdir()
    return Path(base) / f"gotui-sandbox-{port}.kubeconfig"


def render(server: str, namespace: str = "shop") -> dict:
    """The kubeconfig document for a sandbox at `server` (http://HOST:PORT)."""
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": CONTEXT, "cluster": {"server": server}}],
        "users": [{"name": CONTEXT, "user": {}}],
        "contexts": [{"name": CONTEXT, "context": {"cluster": CONTEXT, "user": CONTEXT, "namespace": namespace}}],
        "current-context": CONTEXT,
        "preferences": {},
    }


def write(path: str | os.PathLike, server: str, namespace: str = "shop") -> Path:
    """Write the kubeconfig atomically (mode 0600) and return its path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        yaml.safe_dump(render(server, namespace), fh, sort_keys=False)
    os.replace(tmp, path)
    return path
