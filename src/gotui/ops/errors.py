"""Turn exceptions from Docker, Kubernetes and the OS into one short, actionable sentence.

No client library is imported here: errors are recognised by type name and attributes, so this
module stays cheap to import and usable by every layer.
"""

from __future__ import annotations

import json


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


def describe_error(exc: BaseException, *, what: str = "") -> str:
    """A one-line explanation of `exc` with a hint at the fix."""
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
