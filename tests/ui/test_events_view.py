"""Pilot: `:ev` lists a namespace's Events newest first (lastTimestamp, else eventTime, else creation),
marks Warning rows with `!` (readable without colour) and yellow, and stays live through the watch.
At 80x24, keys in bursts."""

from __future__ import annotations

import dataclasses
import re
import time
import uuid
from datetime import UTC, datetime

import pytest
from kubernetes import client

from fixtures.pilot import make_settings, until
from gotui.ui.app import GotuiApp
from gotui.ui.resource_view import ResourceView

pytestmark = [pytest.mark.sandbox, pytest.mark.timeout(90)]


def stamp(ago: float, micro: bool = False) -> str:
    t = datetime.fromtimestamp(time.time() - ago, UTC)
    return t.strftime("%Y-%m-%dT%H:%M:%S.%fZ" if micro else "%Y-%m-%dT%H:%M:%SZ")


def event(name: str, etype: str, reason: str, **times: str) -> dict:
    return {"metadata": {"name": name}, "type": etype, "reason": reason, "message": f"{reason} happened",
            "involvedObject": {"kind": "Pod", "name": "web-0", "namespace": "x"},
            "source": {"component": "kubelet"}, **times}


async def test_events_newest_first_with_warning_marker_and_live(sandbox, tmp_path):
    ns = f"ev-{uuid.uuid4().hex[:6]}"
    core = client.CoreV1Api(sandbox.api_client)
    core.create_namespace({"metadata": {"name": ns}})
    core.create_namespaced_event(ns, event("old-warning", "Warning", "BackOff", lastTimestamp=stamp(600),
                                           firstTimestamp=stamp(900)))
    core.create_namespaced_event(ns, event("by-event-time", "Normal", "Pulled", eventTime=stamp(300, micro=True),
                                           reportingComponent="kubelet", reportingInstance="node-1", action="Pull"))
    core.create_namespaced_event(ns, event("recent-normal", "Normal", "Started", lastTimestamp=stamp(60)))
    app = GotuiApp(dataclasses.replace(make_settings(sandbox, tmp_path), namespace=ns))
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: app.services.get("kube") is not None and app.services["kube"].api_client is not None,
                    what="kube connected")
        view = app.query_one(ResourceView)
        await pilot.press(":", *"ev", "enter")
        await until(pilot, lambda: len(view.shown) == 3, what="3 events listed")
        assert [k[1] for k in view.shown] == ["recent-normal", "by-event-time", "old-warning"]
        assert "newest first" in str(view.query_one("#pane-status").render())
        labels = [c.label for c in view.table.columns]
        assert labels[:2] == ["LAST SEEN", "TYPE"]
        warn = dict(zip(labels, view._cells((ns, "old-warning")), strict=True))
        normal = dict(zip(labels, view._cells((ns, "recent-normal")), strict=True))
        assert warn["TYPE"][0] == "! Warning" and warn["TYPE"][1] is not None and warn["TYPE"][1].color.name == "yellow"
        assert warn["REASON"][1] is not None and warn["REASON"][1].color.name == "yellow"
        assert normal["TYPE"][0] == "  Normal" and normal["REASON"][1] is None
        # LAST SEEN counts from lastTimestamp (60 s ago when created, more under load)
        assert warn["LAST SEEN"][0] in ("10m", "11m") and re.fullmatch(r"\d+s|\dm\d*s?", normal["LAST SEEN"][0])
        # the marker is on screen (it reads without colour too)
        assert "!\xa0Warning" in app.export_screenshot().replace("&#160;", "\xa0")

        # live: a new Warning (no lastTimestamp: its creation time counts) comes in on top
        core.create_namespaced_event(ns, event("fresh-warning", "Warning", "Unhealthy"))
        await until(pilot, lambda: view.shown[:1] == [(ns, "fresh-warning")], what="the new event on top")
        assert view._cells((ns, "fresh-warning"))[1][0] == "! Warning"
        # O: oldest first
        await pilot.press("O")
        await until(pilot, lambda: view.shown[0] == (ns, "old-warning"), what="oldest first")
