"""Writes the sandbox's kubeconfig(s).

Plain HTTP without authentication (the default): one context `gotui-sandbox`, namespace `shop`, a user
with no credentials. With `--tls` the cluster entry carries `certificate-authority-data` (the sandbox's
own CA). With `--auth` methods the main file holds, besides `gotui-sandbox` (current; it uses the first
method: cert, then token, then exec), one context and user per credential named
`gotui-sandbox-<method>`: `cert` (client-certificate / client-key files in the sandbox's temp dir),
`token` (a static bearer token, inline), `exec` (the exec plugin, ExecCredential v1) and `exec-v1beta1`
(the same plugin, v1beta1). Each of those is also written alone, as its current context, to a file next
to the main one: `<stem>-<method><suffix>` (`kubeconfig` -> `kubeconfig-cert`,
`gotui-sandbox-8443.kubeconfig` -> `gotui-sandbox-8443-cert.kubeconfig`).
"""

from __future__ import annotations

import base64
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import yaml

CONTEXT = "gotui-sandbox"


@dataclass(frozen=True)
class Credential:
    """One kubeconfig user: the method it stands for and its `user:` body."""

    method: str
    user: dict

    @property
    def name(self) -> str:
        """`gotui-sandbox-<method>`: its context and user name."""
        return f"{CONTEXT}-{self.method}"


def default_path(port: int) -> Path:
    """$XDG_RUNTIME_DIR (or the temp dir) / gotui-sandbox-<port>.kubeconfig."""
    base = os.environ.get("XDG_RUNTIME_DIR") or tempfile.gettempdir()
    return Path(base) / f"gotui-sandbox-{port}.kubeconfig"


def method_path(path: str | os.PathLike, method: str) -> Path:
    """The per-method file next to `path`: the method joined to the stem, the suffix kept."""
    path = Path(path)
    return path.with_name(f"{path.stem}-{method}{path.suffix}")


def cert_user(cert_path: str | os.PathLike, key_path: str | os.PathLike) -> dict:
    """A user authenticating with a client certificate and key (files)."""
    return {"client-certificate": str(cert_path), "client-key": str(key_path)}


def token_user(token: str) -> dict:
    """A user with a static bearer token."""
    return {"token": token}


def exec_user(command: str, args: list[str], api_version: str, env: dict[str, str] | None = None) -> dict:
    """A user whose credential comes from an exec plugin (interactiveMode Never: it never prompts)."""
    spec: dict = {"apiVersion": api_version, "command": command, "args": list(args)}
    if env:
        spec["env"] = [{"name": k, "value": v} for k, v in env.items()]
    spec["interactiveMode"] = "Never"
    spec["provideClusterInfo"] = False
    return {"exec": spec}


def _cluster(server: str, ca_pem: bytes | None) -> dict:
    cluster: dict = {"server": server}
    if ca_pem is not None:
        cluster["certificate-authority-data"] = base64.b64encode(ca_pem).decode("ascii")
    return cluster


def _document(server: str, namespace: str, ca_pem: bytes | None, entries: list[tuple[str, dict]],
              current: str) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": CONTEXT, "cluster": _cluster(server, ca_pem)}],
        "users": [{"name": name, "user": user} for name, user in entries],
        "contexts": [{"name": name, "context": {"cluster": CONTEXT, "user": name, "namespace": namespace}}
                     for name, _ in entries],
        "current-context": current,
        "preferences": {},
    }


def render(server: str, namespace: str = "shop", *, ca_pem: bytes | None = None,
           credentials: tuple[Credential, ...] = ()) -> dict:
    """The main kubeconfig document for a sandbox at `server` (http[s]://HOST:PORT)."""
    entries = [(CONTEXT, dict(credentials[0].user) if credentials else {})]
    entries += [(c.name, c.user) for c in credentials]
    return _document(server, namespace, ca_pem, entries, CONTEXT)


def render_single(server: str, credential: Credential, namespace: str = "shop", *,
                  ca_pem: bytes | None = None) -> dict:
    """A kubeconfig with only `credential`'s context, current."""
    return _document(server, namespace, ca_pem, [(credential.name, credential.user)], credential.name)


def _dump(path: Path, doc: dict) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        yaml.safe_dump(doc, fh, sort_keys=False)
    os.replace(tmp, path)
    return path


def write(path: str | os.PathLike, server: str, namespace: str = "shop", *, ca_pem: bytes | None = None,
          credentials: tuple[Credential, ...] = ()) -> Path:
    """Write the main kubeconfig atomically (mode 0600) and return its path (see write_all)."""
    return _dump(Path(path), render(server, namespace, ca_pem=ca_pem, credentials=credentials))


def write_all(path: str | os.PathLike, server: str, namespace: str = "shop", *, ca_pem: bytes | None = None,
              credentials: tuple[Credential, ...] = ()) -> dict[str, Path]:
    """The main kubeconfig (key "") and one file per credential (key: its method), each mode 0600."""
    out = {"": write(path, server, namespace, ca_pem=ca_pem, credentials=credentials)}
    for cred in credentials:
        out[cred.method] = _dump(method_path(path, cred.method),
                                 render_single(server, cred, namespace, ca_pem=ca_pem))
    return out
