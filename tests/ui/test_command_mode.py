"""Pilot tests of the k9s `:` command line and the generic resource view, against the sandbox, at 80x24,
with keys sent in bursts (as they arrive over SSH)."""

from __future__ import annotations

import pytest
from kubernetes import client

from fixtures.pilot import make_settings, modal_ready, until
from gotui.ui.app import GotuiApp
from gotui.ui.command_bar import CommandBar
from gotui.ui.resource_view import ResourceView

pytestmark = pytest.mark.sandbox


def view_of(app: GotuiApp) -> ResourceView:
    return app.query_one(ResourceView)


def current(app: GotuiApp) -> str | None:
    return app.query_one("#switcher").current


def names(view: ResourceView) -> list[str]:
    return [k[1] for k in view.shown]


async def connected(pilot, app) -> None:  # noqa: ANN001
    await until(pilot, lambda: app.services.get("kube") is not None and app.services["kube"].api_client is not None,
                what="kube connected")


async def test_colon_deploy_burst_opens_deployments(fresh_sandbox, tmp_path):
    sb = fresh_sandbox("quiet")
    app = GotuiApp(make_settings(sb, tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("2")
        pods = app.pane("pods")
        await until(pilot, lambda: len(pods.rows) >= 7, what="pods listed")
        pods.table.focus()
        await pilot.pause()
        before = len(app.screen_stack)
        await pilot.press(":", "d", "e", "p", "l", "o", "y", "enter")
        view = view_of(app)
        await until(pilot, lambda: current(app) == view.id and view.rows, what="deployments listed")
        # nothing else happened: no describe/YAML screen, the pods filter untouched, the bar closed
        assert len(app.screen_stack) == before
        assert pods.filter_text == ""
        assert not app.query_one(CommandBar).active
        assert view.kind is not None and view.kind.group_resource == "deployments.apps"
        listed = {d.metadata.name for d in client.AppsV1Api(sb.api_client).list_namespaced_deployment("shop").items}
        await until(pilot, lambda: set(names(view)) == listed, what="the sandbox's deployments")
        assert [c.label for c in view.table.columns][:4] == ["NAME", "READY", "UP-TO-DATE", "AVAILABLE"]
        assert app.focused is view.table
