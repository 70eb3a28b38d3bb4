"""Fixtures for the end-to-end tests: the INSTALLED `gotui` driven through tmux (and ssh)."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from tmux import TmuxSession  # noqa: E402

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def require(condition: bool, why: str) -> None:
    """Skip with `why` when `condition` is false; under CI, fail instead (CI installs everything)."""
    if not condition:
        if IN_CI:
            pytest.fail(f"CI must provide this: {why}")
        pytest.skip(why)


@pytest.fixture
def gotui_bin() -> str:
    path = shutil.which("gotui")
    require(path is not None, "the `gotui` console script is not installed (pip install -e .)")
    return str(path)


@pytest.fixture
def e2e_env(tmp_path: Path) -> dict[str, str]:
    """Environment for a gotui run: private state/config dirs, no colour overrides from outside."""
    state = tmp_path / "state"
    config = tmp_path / "config"
    state.mkdir()
    config.mkdir()
    env = {
        "XDG_STATE_HOME": str(state),
        "XDG_CONFIG_HOME": str(config),
        "GOTUI_CONFIG": str(config / "config.yaml"),
        "GOTUI_AUDIT_LOG": str(state / "audit.jsonl"),
    }
    return env


@pytest.fixture
def tmux_session(tmp_path: Path, e2e_env: dict[str, str], gotui_bin: str) -> Iterator[TmuxSession]:
    require(shutil.which("tmux") is not None, "tmux is not installed (apt-get install tmux)")
    workdir = tmp_path / "tmux"
    workdir.mkdir()
    session = TmuxSession(workdir, env=e2e_env)
    try:
        yield session
    finally:
        # Quit gotui politely first so its coverage data and the demo sandbox are written / stopped.
        try:
            screen = session.screen()
            if "gotui" in screen and "ctx" in screen:
                session.send_keys("Escape")
                session.send_keys("q")
                session.wait_prompt(10)
        except Exception:  # noqa: BLE001 - best effort before the kill
            pass
        session.kill()
