"""The engine stopped and restarted under a running gotui: the pane says the engine is not
reachable, then recovers by itself. Uses a second, private dockerd (its own socket and data root),
so the shared engine is never touched."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from gotui.config import Settings
from gotui.ui.app import GotuiApp
from gotui.ui.panes.images import ImagesPane

pytestmark = [pytest.mark.docker, pytest.mark.slow, pytest.mark.timeout(180)]

DIR = Path(os.environ.get("GOTUI_DOCKER_RESTART_DIR", "/tmp/gotui-docker-restart"))
HOST = f"unix://{DIR}/docker.sock"


def start_dockerd() -> subprocess.Popen:
    DIR.mkdir(parents=True, exist_ok=True)
    log = open(DIR / "dockerd.log", "ab")
    proc = subprocess.Popen(
        ["dockerd", "--host", HOST, "--data-root", str(DIR / "root"), "--exec-root", str(DIR / "exec"),
         "--pidfile", str(DIR / "pid"), "--iptables=false", "--ip-masq=false", "--bridge=none"],
        stdout=log, stderr=log, start_new_session=True,
    )
    import docker

    deadline = time.time() + 40
    while time.time() < deadline:
        try:
            docker.APIClient(base_url=HOST, timeout=2, version="auto").ping()
            return proc
        except Exception:  # noqa: BLE001
            if proc.poll() is not None:
                break
            time.sleep(0.3)
    proc.terminate()
    pytest.fail(f"the private dockerd did not start; see {DIR}/dockerd.log")


def stop_dockerd(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@pytest.fixture
def private_engine(docker_client):  # noqa: ANN001 - docker_client: fail/skip policy when no Docker at all
    if shutil.which("dockerd") is None:
        if os.environ.get("CI"):
            pytest.fail("dockerd is not installed")
        pytest.skip("dockerd is not installed")
    proc = start_dockerd()
    state = {"proc": proc}
    yield state
    stop_dockerd(state["proc"])


async def test_pane_reports_engine_down_then_recovers(private_engine, tmp_path: Path) -> None:  # noqa: ANN001
    settings = Settings(audit_log=tmp_path / "audit.jsonl", docker_host=HOST, config_path=tmp_path / "c.yaml")
    pane = ImagesPane()
    app = GotuiApp(settings, panes=[pane])

    def status() -> str:
        return str(pane.query_one("#pane-status").render())

    async def wait_for(predicate, what: str, timeout: float = 40.0) -> None:  # noqa: ANN001
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return
            await pilot.pause(0.1)
        raise AssertionError(f"timed out waiting for {what}; status: {status()!r}")

    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(lambda: pane.engine_state == "connected" and pane.refreshes > 0, "connected")
        assert app.status_bar.docker_host == HOST
        stop_dockerd(private_engine["proc"])
        await wait_for(lambda: pane.engine_state == "unreachable", "the pane to notice")
        assert f"Docker engine not reachable at {HOST} — is it running? Set DOCKER_HOST." in status()
        refreshes = pane.refreshes
        private_engine["proc"] = start_dockerd()
        await wait_for(lambda: pane.engine_state == "connected" and pane.refreshes > refreshes, "recovery")
        assert "connected" in status() or "images" in status()
        assert "not reachable" not in status()
