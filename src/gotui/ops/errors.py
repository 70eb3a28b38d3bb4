"""Turn exceptions from Docker, Kubernetes and the OS into one short, actionable sentence.

No client library is imported here: errors are recognised by type name and attributes, so this
module stays cheap to import and usable by every layer.
"""

from __future__ import annotations

import json
import threading

_secrets: set[str] = set()
_secrets_lock = threading.Lock()
# Text of transport errors that a kubeconfig fix cures, never a retry (see `is_config_error`).
_TLS_MARKS = ("CERTIFICATE_VERIFY_FAILED", "certificate verify failed", "ALERT_BAD_CERTIFICATE", "alert bad certificate",
              "ALERT_UNKNOWN_CA", "alert unknown ca", "CERTIFICATE_REQUIRED", "certificate required",
              "alert certificate unknown", "ALERT_CERTIFICATE_UNKNOWN", "ALERT_CERTIFICATE_EXPIRED",
              "ALERT_CERTIFICATE_REVOKED", "ALERT_HANDSHAKE_FAILURE", "WRONG_VERSION_NUMBER", "wrong version number")


def register_secret(value: str) -> None:
    """Remember a credential (token, password, key) so no error message ever shows it."""
    if value and len(value) >= 6:
        with _secrets_lock:
            _secrets.add(value)


def redact(text: str) -> str:
    """`text` with every registered credential replaced by `***`."""
    with _secrets_lock:
        secrets = sorted(_secrets, key=len, reverse=True)
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, "***")
    return text


def _chain(exc: BaseException) -> list[BaseException]:
    """`exc` and what it wraps (urllib3's `reason`, the cause, the context, exception args)."""
    seen: list[BaseException] = []
    todo = [exc]
    while todo and len(seen) < 12:
        cur = todo.pop(0)
        if cur in seen:
            continue
        seen.append(cur)
        for nxt in (getattr(cur, "reason", None), cur.__cause__, cur.__context__, *cur.args):
            if isinstance(nxt, BaseException):
                todo.append(nxt)
    return seen


def _tls_text(exc: BaseException) -> str | None:
    """The SSL error text inside `exc`, when it is a TLS failure."""
    for item in _chain(exc):
        names = {cls.__name__ for cls in type(item).__mro__}
        text = str(item)
        if names & {"SSLError", "SSLCertVerificationError"} or any(mark in text for mark in _TLS_MARKS):
            return text
    return None


def describe_tls(text: str, context: str | None = None) -> str:
    """One sentence naming a TLS failure and its fix (short: it must fit the status line at 80 columns)."""
    where = f" (context {context})" if context else ""
    low = text.lower()
    if "hostname mismatch" in low or "ip address mismatch" in low or "doesn't match" in low:
        return (f"TLS: the server's certificate is not valid for the server's name{where}; set tls-server-name "
                "to a name it holds, or fix the server address.")
    if "certificate has expired" in low:
        return f"TLS: the server's certificate has expired{where}; renew it (or check this machine's clock)."
    if "certificate verify failed" in low:
        return (f"TLS: the server's certificate is not signed by the kubeconfig's certificate-authority{where}; "
                "fix certificate-authority-data or use tls-server-name.")
    if any(m in low for m in ("bad certificate", "unknown ca", "certificate required", "certificate unknown",
                              "certificate expired", "certificate revoked")):
        return f"TLS: the server rejected the client certificate{where}; fix client-certificate-data / client-key-data."
    if "eof occurred in violation of protocol" in low:
        return (f"TLS: the server closed the connection during the handshake{where} (a refused client "
                "certificate?).")
    if "wrong version number" in low:
        return f"TLS: the server does not speak TLS here{where}; should the server URL be http://?"
    return f"TLS handshake failed{where}: {text[:200]}"


def is_dropped_handshake(exc: BaseException) -> bool:
    """True when the server hung up at or right after the TLS handshake, before any answer: what a
    server that refuses the client certificate may do instead of sending an alert (also a restart)."""
    for item in _chain(exc):
        names = {cls.__name__ for cls in type(item).__mro__}
        if names & {"RemoteDisconnected", "SSLEOFError", "SSLZeroReturnError", "ConnectionResetError"}:
            return True
        if "EOF occurred in violation of protocol" in str(item):
            return True
    return False


def dropped_client_certificate(context: str | None = None) -> str:
    """The wording for repeated `is_dropped_handshake` failures of a client that presents a certificate."""
    where = f" (context {context})" if context else ""
    return (f"TLS: the server hangs up after the handshake{where}, as when it refuses the client certificate; "
            "check client-certificate-data / client-key-data.")


def is_config_error(exc: BaseException) -> bool:
    """True when retrying cannot help until the kubeconfig (or the credentials) change: a TLS
    verification or client-certificate failure, a credential that cannot be had, or a 401."""
    for item in _chain(exc):
        lineage = {cls.__name__ for cls in type(item).__mro__}
        if lineage & {"CredentialError", "KubeConfigProblem"}:
            return True
    if getattr(exc, "status", None) == 401:
        return True
    text = _tls_text(exc)
    return text is not None and any(mark in text for mark in _TLS_MARKS)


def _kube_reason(exc: BaseException) -> tuple[int | None, str]:
    status = getattr(exc, "status", None)
    body = getattr(exc, "body", None)
    message = ""
    if body:
        try:
            data = json.loads(body)
            message = data.get("message", "") if isinstance(data, dict) else ""
        except (ValueError, TypeError):
            message = str(body)[:200]
    return (status if isinstance(status, int) else None), message or str(getattr(exc, "reason", "") or "")


def describe_error(exc: BaseException, *, what: str = "", context: str | None = None) -> str:
    """A one-line explanation of `exc` with a hint at the fix (`context`: the kube context, for TLS).
    Registered credentials never appear in it."""
    return redact(_describe(exc, what=what, context=context))


def _describe(exc: BaseException, *, what: str, context: str | None) -> str:
    name = type(exc).__name__
    lineage = {cls.__name__ for cls in type(exc).__mro__}
    prefix = f"{what}: " if what else ""
    if "ApiException" in lineage:  # kubernetes.client.exceptions.ApiException and its subclasses
        status, message = _kube_reason(exc)
        hints = {
            401: "your credentials were refused or expired — log in again / refresh the token in your kubeconfig.",
            403: "forbidden by RBAC — ask for the permission or use an account that has it.",
            404: "not found — it may have been deleted, or the namespace/context is wrong.",
            409: "conflict — someone changed it meanwhile; refresh and try again.",
            410: "the watch expired; gotui re-lists automatically.",
            422: "the server rejected the change as invalid.",
        }
        hint = hints.get(status or 0, "")
        core = message or f"HTTP {status}"
        return f"{prefix}{core}" + (f" ({hint})" if hint else "")
    if lineage & {"APIError", "BuildError", "ContainerError"}:  # docker.errors (NotFound etc. subclass APIError)
        explanation = getattr(exc, "explanation", None) or str(exc)
        return f"{prefix}{explanation}"
    if "DockerException" in lineage:
        return f"{prefix}{exc}"
    if lineage & {"CredentialError", "KubeConfigProblem"}:
        return f"{prefix}{exc}"
    tls = _tls_text(exc)
    if tls is not None:
        return f"{prefix}{describe_tls(tls, context)}"
    if "Invalid header value" in str(exc) or "Invalid leading whitespace" in str(exc):
        return (f"{prefix}a credential in the kubeconfig holds a character an HTTP header cannot carry "
                "(a line break?); fix the token.")
    if name in ("MaxRetryError", "NewConnectionError", "ConnectionRefusedError", "ConnectionError", "ProtocolError"):
        return f"{prefix}cannot connect ({exc.__class__.__name__}): is the server running and the address right?"
    if name in ("ReadTimeoutError", "TimeoutError", "ReadTimeout", "ConnectTimeout"):
        return f"{prefix}timed out waiting for an answer — the server is slow or unreachable."
    if name == "ConfigException":  # kubernetes.config.ConfigException
        return f"{prefix}kubeconfig problem: {exc}"
    if isinstance(exc, FileNotFoundError):
        return f"{prefix}file not found: {exc.filename}"
    if isinstance(exc, PermissionError):
        return f"{prefix}permission denied: {exc.filename or exc}"
    text = str(exc) or name
    return f"{prefix}{text}"
