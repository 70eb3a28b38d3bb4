"""Kubernetes-style API errors that turn into v1 Status bodies.

Codes and reasons follow k8s.io/apimachinery/pkg/api/errors: NotFound 404, AlreadyExists 409,
Conflict 409, Invalid 422 (with details.causes), Forbidden 403, BadRequest 400, Expired 410,
MethodNotAllowed 405, RequestEntityTooLarge 413, UnsupportedMediaType 415, InternalError 500.
"""

from __future__ import annotations

from typing import Any

from gotui.sandbox.resources import group_resource


class ApiError(Exception):
    """An API failure with an HTTP code, a Status reason, a message and optional details."""

    def __init__(self, code: int, reason: str, message: str, details: dict[str, Any] | None = None):
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details

    def to_status(self) -> dict[str, Any]:
        """The v1 Status body for this error."""
        status: dict[str, Any] = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        }
        if self.details:
            status["details"] = self.details
        return status

    def __repr__(self) -> str:
        return f"ApiError({self.code}, {self.reason!r}, {self.message!r})"


def _details(resource: str, name: str | None) -> dict[str, Any]:
    group, _ = _split(resource)
    details: dict[str, Any] = {"kind": resource.split(".")[0]}
    if name:
        details["name"] = name
    if group:
        details["group"] = group
    return details


def _split(resource: str) -> tuple[str, str]:
    gr = group_resource(resource)
    if "." in gr:
        plural, group = gr.split(".", 1)
        return group, plural
    return "", gr


def not_found(resource: str, name: str) -> ApiError:
    """404 NotFound: `deployments.apps "x" not found`."""
    return ApiError(404, "NotFound", f'{group_resource(resource)} "{name}" not found', _details(resource, name))


def already_exists(resource: str, name: str) -> ApiError:
    """409 AlreadyExists."""
    return ApiError(
        409, "AlreadyExists", f'{group_resource(resource)} "{name}" already exists', _details(resource, name)
    )


def conflict(resource: str, name: str) -> ApiError:
    """409 Conflict for a stale resourceVersion."""
    return ApiError(
        409,
        "Conflict",
        f'Operation cannot be fulfilled on {group_resource(resource)} "{name}": the object has been '
        "modified; please apply your changes to the latest version and try again",
        _details(resource, name),
    )


def invalid(resource: str, kind: str, name: str, causes: list[tuple[str, str, str]]) -> ApiError:
    """422 Invalid; causes are (reason, message, field) like FieldValueRequired."""
    parts = [f"{field}: {message}" for _, message, field in causes]
    if len(parts) == 1:
        joined = parts[0]
    else:
        joined = "[" + ", ".join(parts) + "]"
    details = _details(resource, name)
    details["kind"] = kind
    details["causes"] = [{"reason": r, "message": m, "field": f} for r, m, f in causes]
    return ApiError(422, "Invalid", f'{kind} "{name}" is invalid: {joined}', details)


def bad_request(message: str) -> ApiError:
    """400 BadRequest."""
    return ApiError(400, "BadRequest", message)


def forbidden(resource: str, name: str | None, verb: str, namespace: str | None,
              user: str = "system:anonymous") -> ApiError:
    """403 Forbidden in the apiserver's wording, naming the (authenticated or anonymous) user."""
    group, plural = _split(resource)
    target = f'{group_resource(resource)} "{name}"' if name else group_resource(resource)
    where = f' in the namespace "{namespace}"' if namespace else " at the cluster scope"
    message = (
        f'{target} is forbidden: User "{user}" cannot {verb} resource "{plural}" '
        f'in API group "{group}"{where}'
    )
    return ApiError(403, "Forbidden", message, _details(resource, name))


def unauthorized() -> ApiError:
    """401 Unauthorized, worded as the API server words it (no details)."""
    return ApiError(401, "Unauthorized", "Unauthorized")


def method_not_allowed(message: str = "the server does not allow this method on the requested resource") -> ApiError:
    """405 MethodNotAllowed."""
    return ApiError(405, "MethodNotAllowed", message)


def expired(message: str) -> ApiError:
    """410 Expired (a watch from a compacted resourceVersion)."""
    return ApiError(410, "Expired", message)


def internal(message: str) -> ApiError:
    """500 InternalError."""
    return ApiError(500, "InternalError", f"Internal error occurred: {message}")
