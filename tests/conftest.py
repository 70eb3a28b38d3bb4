"""Shared test configuration: fixture plugins for the sandbox cluster and the Docker engine."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

pytest_plugins = [
    name
    for name in ("fixtures.sandbox", "fixtures.docker_engine", "fixtures.app")
    if importlib.util.find_spec(name) is not None
]


def pytest_configure(config):  # noqa: ANN001, ANN201
    # Tests never touch the operator's real config, audit log or kube cache.
    os.environ.setdefault("GOTUI_CONFIG", str(Path(config.rootpath) / "tests" / "data" / "no-config.yaml"))


def pytest_collection_modifyitems(config, items):  # noqa: ANN001, ANN201
    """Tests that change the shared Docker engine (builds, prune, remove) run in one xdist worker, one
    after another: a prune in one worker must not take another worker's build cache away."""
    import pytest

    for item in items:
        if item.get_closest_marker("docker") is not None:
            item.add_marker(pytest.mark.xdist_group("docker-engine"))
