"""The Pods pane's YAML view shows the whole pod, fetched from the API (the cache keeps pods trimmed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from fixtures.pilot import until
from gotui.config import Settings
from gotui.ui.app import GotuiApp
from gotui.ui.yaml_view import YamlScreen

pytestmark = pytest.mark.sandbox




async def test_yaml_view_shows_the_whole_pod(fresh_sandbox, tmp_path: Path):
    sb = fresh_sandbox("quiet")
    settings = Settings(audit_log=tmp_path / "audit.jsonl", kubeconfig=str(sb.kubeconfig), context="gotui-sandbox",
                        namespace="shop", docker_host=f"unix://{tmp_path}/no-docker.sock", config_path=tmp_path / "c.yaml")
    app = GotuiApp(settings)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("2")
        pane = app.pane("pods")
        await until(pilot, lambda: len(pane.rows) >= 7, what="pods listed")
        pane.table.focus()
        key = pane.table.cursor_key
        cached = pane.bridge.store.get("pods", *key)
        assert "tolerations" not in cached["spec"]  # trimmed in the cache ...
        await pilot.press("y")
        screen = await until(pilot, lambda: isinstance(app.screen, YamlScreen) and app.screen, what="YAML screen")
        whole = sb.request("GET", f"/api/v1/namespaces/{key[0]}/pods/{key[1]}")[1]
        assert screen.obj["spec"] == whole["spec"] and screen.obj["status"] == whole["status"]  # ... whole here
        body = str(screen.query_one("#yaml-body").render())
        assert "tolerations:" in body and "terminationGracePeriodSeconds:" in body and key[1] in body
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, YamlScreen), what="YAML closed")
