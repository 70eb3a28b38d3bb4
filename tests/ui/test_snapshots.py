"""SVG snapshots of the main views at 80x24 and 120x40: seeded `quiet` sandbox, frozen clock.

Regenerate after a deliberate change of a screen with `pytest tests/ui/test_snapshots.py
--snapshot-update` and look at the report before committing the new SVGs.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from textual.widgets import DataTable

from fixtures.sandbox import start_sandbox
from gotui.config import Settings
from gotui.ui.app import GotuiApp

FROZEN = "2026-01-15T09:30:00Z"
NO_DOCKER = "unix:///nonexistent/docker.sock"


@pytest.fixture(scope="module")
def frozen_sandbox(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GOTUI_FROZEN_TIME", FROZEN)
        sandbox = start_sandbox(tmp_path_factory.mktemp("snapshots"), scenario="quiet", seed=1)
    yield sandbox
    sandbox.stop()


def settings_for(sandbox, tmp_path: Path) -> Settings:  # noqa: ANN001
    return Settings(
        kubeconfig=str(sandbox.kubeconfig),
        context="gotui-sandbox",
        namespace="shop",
        docker_host=NO_DOCKER,
        audit_log=tmp_path / "audit.jsonl",
        config_path=tmp_path / "config.yaml",
        theme="textual-dark",
    )


async def wait_for(predicate, timeout: float = 20.0) -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the view never got its data")


async def wait_stable(measure, quiet_for: float = 0.8, timeout: float = 20.0) -> None:  # noqa: ANN001
    """Wait until `measure()` has not changed for `quiet_for` seconds."""
    deadline = time.monotonic() + timeout
    last, since = measure(), time.monotonic()
    while time.monotonic() < deadline:
        await asyncio.sleep(0.05)
        value = measure()
        if value != last:
            last, since = value, time.monotonic()
        elif time.monotonic() - since >= quiet_for:
            return
    raise AssertionError("the view never settled")


def table_rows(app: GotuiApp, pane_id: str) -> int:
    tables = list(app.pane(pane_id).query(DataTable))
    return tables[0].row_count if tables else 0


def details_text(app: GotuiApp, pane_id: str) -> str:
    body = app.pane(pane_id).query("#details-body")
    return str(body.first().render()) if body else ""


EXPECTED_ROWS = {"pods": 7, "releases": 4}


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
@pytest.mark.parametrize("pane", ["images", "pods", "releases"])
def test_main_view(snap_compare, frozen_sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pane: str, size) -> None:  # noqa: ANN001
    monkeypatch.setenv("GOTUI_FROZEN_TIME", FROZEN)
    app = GotuiApp(settings_for(frozen_sandbox, tmp_path))
    key = {"images": "1", "pods": "2", "releases": "4"}[pane]

    async def run_before(pilot) -> None:  # noqa: ANN001
        await pilot.press(key)
        if pane == "images":
            await wait_for(lambda: "not reachable" in str(app.pane("images").query_one("#pane-status").render()))
            # Kubernetes starts a second after the first frame (no Docker list here): the status bar reads
            # "[connecting…]" until it has connected
            await wait_for(lambda: "kube" in app.services and app.services["kube"].state == "connected"
                           and not app.status_bar.kube_state)
        elif pane == "pods":
            await wait_for(lambda: "kube" in app.services)
            store = app.services["kube"].store
            await wait_for(lambda: len(pods := store.list("pods", "shop")) == EXPECTED_ROWS["pods"] and all(
                c.get("ready") for p in pods for c in p.get("status", {}).get("containerStatuses") or [{}]
            ) and len(store.list("events", "shop")) > 0)
            await wait_stable(lambda: len(store.list("events", "shop")))
        else:
            await wait_for(lambda: table_rows(app, pane) == EXPECTED_ROWS[pane])
            # The Helm row may arrive before the blue/green rows and keep the cursor: start from the top.
            app.pane(pane).query_one(DataTable).move_cursor(row=0)
        if pane != "images":  # the details of the selected row are filled in after the table
            await wait_for(lambda: details_text(app, pane).strip() != "")
        await pilot.pause(0.6)  # coalesced redraws settle

    assert snap_compare(app, terminal_size=size, run_before=run_before)
