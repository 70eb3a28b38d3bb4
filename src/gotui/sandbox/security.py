"""Puts --tls and --auth together: the CA and certificates, the authenticator and its users, and the
kubeconfig credentials that reach them.

Users (one per method, named after it): `cert-user` (groups `gotui:cert`, `system:masters`; a client
certificate), `token-user` (`gotui:token`; a static token), `exec-user` (`gotui:exec`; a token that the
exec plugin reads from `exec.token` in the sandbox's temp dir, as ExecCredential v1 and v1beta1).
"""

from __future__ import annotations

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


def build(workdir: str | None, tls: bool, methods: tuple[str, ...]) -> tuple[Any, Authenticator,
                                                                           list[kubeconfig.Credential]]:
    """(Pki or None, Authenticator, kubeconfig credentials in method order) with files in `workdir`."""
    pki = None
    if tls:
        from gotui.sandbox.tls import Pki

        assert workdir is not None
        pki = Pki.create(workdir)
    authenticator = Authenticator(methods)
    credentials: list[kubeconfig.Credential] = []
    if "cert" in methods:
        assert pki is not None
        cert = pki.issue_client("cert-user", ("gotui:cert", "system:masters"), name="cert-user")
        credentials.append(kubeconfig.Credential("cert", kubeconfig.cert_user(cert.cert_path, cert.key_path)))
    if "token" in methods:
        token = authenticator.new_token("token-user", ("gotui:token",))
        credentials.append(kubeconfig.Credential("token", kubeconfig.token_user(token)))
    if "exec" in methods:
        assert workdir is not None
        token = authenticator.new_token("exec-user", ("gotui:exec",), method="exec")
        token_file = Path(workdir) / "exec.token"
        fd = os.open(token_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(token + "\n")
        for method, version in EXEC_API_VERSIONS.items():
            args = ["-m", "gotui.sandbox.exec_plugin", "--token-file", str(token_file), "--api-version", version]
            credentials.append(kubeconfig.Credential(method, kubeconfig.exec_user(
                sys.executable, args, version, {"PYTHONPATH": _source_root()})))
    return pki, authenticator, credentials
