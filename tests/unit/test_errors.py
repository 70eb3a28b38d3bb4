"""describe_error on the real exception types of the Docker and Kubernetes clients."""

from __future__ import annotations

import json

import docker.errors
from kubernetes.client import exceptions as kexc

from gotui.ops.errors import describe_error


class FakeResponse:
    """The minimal HTTP response object the client exceptions are built from."""

    def __init__(self, status: int, body: dict) -> None:
        self.status = status
        self.reason = "Forbidden"
        self.data = json.dumps(body).encode()
        self.headers = {"Content-Type": "application/json"}

    def getheaders(self) -> dict:
        return {"Content-Type": "application/json"}


def test_kubernetes_subclasses_are_explained() -> None:
    body = {"kind": "Status", "message": 'pods "x" is forbidden: User "me" cannot delete', "code": 403}
    exc = kexc.ApiException(http_resp=FakeResponse(403, body))
    text = describe_error(exc)
    assert text.startswith('pods "x" is forbidden') and "RBAC" in text and "HTTP response headers" not in text
    forbidden = getattr(kexc, "ForbiddenException", None)
    if forbidden is not None:
        sub = forbidden(http_resp=FakeResponse(403, body))
        assert describe_error(sub) == text


def test_docker_errors_are_explained() -> None:
    exc = docker.errors.ImageNotFound("No such image: nope:1", explanation="No such image: nope:1")
    assert describe_error(exc, what="remove") == "remove: No such image: nope:1"
    assert describe_error(docker.errors.DockerException("Error while fetching server API version")).startswith("Error while")


def test_os_errors() -> None:
    assert "file not found" in describe_error(FileNotFoundError(2, "x", "/nope"))
    assert describe_error(TimeoutError()).startswith("timed out")
    assert describe_error(ConnectionRefusedError()).startswith("cannot connect")
