"""Puts --tls and --auth together: the CA and certificates, the authenticator and its users, and the
kubeconfig credentials that reach them.

Users (one per method, named after it): `cert-user` (groups `gotui:cert`, `system:masters`; a client
certificate), `token-user` (`gotui:token`; a static token), `exec-user` (`gotui:exec`; a token that the
exec plugin reads from `exec.token` in the sandbox's temp dir, as ExecCredential v1 and v1beta1).
With --pki-dir the directory is the caller's and kept: the CA (ca.key) and the tokens (tokens.json)
survive a restart, so clients holding the old kubeconfig keep working, as with a real cluster.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from gotui.sandbox import kubeconfig
from gotui.sandbox.auth import Authenticator

EXEC_API_VERSIONS = {"exec": "client.authentication.k8s.io/v1", "exec-v1beta1": "client.authentication.k8s.io/v1beta1"}


def _source_root() -> str:
    """The directory holding the `gotui` package (PYTHONPATH for the exec plugin)."""
    return str(Path(__file__).resolve().parents[2])


def _saved_tokens(path: Path | None) -> dict[str, str]:
    if path is None or not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {k: v for k, v in data.items() if isinstance(k, str) and isinstance(v, str) and v} \
        if isinstance(data, dict) else {}


def _write_private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(text)


def build(workdir: str | None, tls: bool, methods: tuple[str, ...], *, keep: bool = False) -> tuple[
        Any, Authenticator, list[kubeconfig.Credential]]:
    """(Pki or None, Authenticator, kubeconfig credentials in method order) with files in `workdir`.
    With `keep` (--pki-dir) the CA and the tokens found there are reused and the new ones saved."""
    pki = None
    if tls:
        from gotui.sandbox.tls import Pki

        assert workdir is not None
        pki = Pki.create(workdir, keep=keep)
    authenticator = Authenticator(methods)
    credentials: list[kubeconfig.Credential] = []
    tokens_path = Path(workdir) / "tokens.json" if keep and workdir else None
    saved = _saved_tokens(tokens_path)
    if "cert" in methods:
        assert pki is not None
        cert = pki.issue_client("cert-user", ("gotui:cert", "system:masters"), name="cert-user")
        credentials.append(kubeconfig.Credential("cert", kubeconfig.cert_user(cert.cert_path, cert.key_path)))
    if "token" in methods:
        saved["token-user"] = authenticator.new_token("token-user", ("gotui:token",), token=saved.get("token-user"))
        credentials.append(kubeconfig.Credential("token", kubeconfig.token_user(saved["token-user"])))
    if "exec" in methods:
        assert workdir is not None
        saved["exec-user"] = authenticator.new_token("exec-user", ("gotui:exec",), method="exec",
                                                     token=saved.get("exec-user"))
        token_file = Path(workdir) / "exec.token"
        _write_private(token_file, saved["exec-user"] + "\n")
        for method, version in EXEC_API_VERSIONS.items():
            args = ["-m", "gotui.sandbox.exec_plugin", "--token-file", str(token_file), "--api-version", version]
            credentials.append(kubeconfig.Credential(method, kubeconfig.exec_user(
                sys.executable, args, version, {"PYTHONPATH": _source_root()})))
    if tokens_path is not None and saved:
        _write_private(tokens_path, json.dumps(saved))
    return pki, authenticator, credentials
