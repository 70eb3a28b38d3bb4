"""The sandbox's pods/proxy and services/proxy subresources (what smoke checks use instead of URLs from
annotations), through the official client and the real kubectl."""

from __future__ import annotations

import json
import time

import pytest

from gotui.ops.kube_io import KubeIO

pytestmark = [pytest.mark.sandbox, pytest.mark.timeout(120)]


def green_pod(io: KubeIO) -> str:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        pods = [p for p in io.list("pods", "shop", "app=go-api,version=green")
                if (p["metadata"].get("annotations") or {}).get("sandbox.gotui.dev/url")]
        if pods:
            return pods[0]["metadata"]["name"]
        time.sleep(0.1)
    raise AssertionError("no serving green pod")


def test_pod_and_service_proxy(fresh_sandbox, kubectl_for):
    sb = fresh_sandbox("quiet", 1)
    io = KubeIO(sb.api_client)
    pod = green_pod(io)
    status, body = io.proxy_get("pods", "shop", pod, 8080, "/version")
    assert status == 200 and json.loads(body)["pod"] == pod
    assert io.proxy_get("pods", "shop", pod, "http", "/healthz") == (200, b"ok")
    status, body = io.proxy_get("pods", "shop", pod, 9999, "/healthz")  # not a declared port: a refused dial
    assert status == 503 and json.loads(body)["reason"] == "ServiceUnavailable"
    assert io.proxy_get("pods", "shop", "nope", 8080, "/healthz")[0] == 404
    deadline = time.monotonic() + 30  # the Service's site opens once blue's pods serve
    while (status := io.proxy_get("services", "shop", "go-api", "http", "/version")[0]) != 200 \
            and time.monotonic() < deadline:
        time.sleep(0.1)
    status, body = io.proxy_get("services", "shop", "go-api", "http", "/version")
    assert status == 200 and json.loads(body)["version"] == "1.4.2"  # the Service selects blue
    assert io.proxy_get("services", "shop", "go-api", None, "/healthz") == (200, b"ok")
    assert sb.request("POST", f"/api/v1/namespaces/shop/pods/{pod}:8080/proxy/healthz", {})[0] == 405
    # RBAC: get pods/proxy can be denied like any subresource
    sb.set_policy([{"verb": "get", "resource": "pods/proxy"}])
    assert io.proxy_get("pods", "shop", pod, 8080, "/healthz")[0] == 403
    sb.set_policy([])
    # the real kubectl reaches it the same way
    out = kubectl_for(sb).run("get", "--raw", f"/api/v1/namespaces/shop/pods/{pod}:8080/proxy/version", check=True)
    assert json.loads(out.stdout)["pod"] == pod
