"""Pilot: port-forward from the Pods pane (F, the port prompt, keys in bursts), the forwards view (f,
:pf), stopping from it (ctrl+d), the audit lines; read-only refuses shell and port-forward."""

from __future__ import annotations

import asyncio
import json
import urllib.request

import pytest

from fixtures.pilot import make_settings, until
from gotui.ops.audit import AuditLog
from gotui.ui.app import GotuiApp
from gotui.ui.port_forwards import AskPort, PortForwardsScreen, forwards_of
from gotui.ui.terminal_session import NO_TERMINAL

pytestmark = [pytest.mark.sandbox, pytest.mark.timeout(120)]


def _get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=10) as resp:
        return json.loads(resp.read())


async def _on_serving_pod(pilot, app) -> tuple[str, str]:
    """Pods pane with the cursor on a go-api pod whose HTTP port serves."""
    await pilot.press("2")
    pane = app.pane("pods")

    def serving():
        bridge = app.services.get("kube")  # the Kubernetes side starts after the first frame
        for key in pane.shown:
            pod = bridge.store.get("pods", *key) if bridge else None
            if pod and (pod["metadata"].get("annotations") or {}).get("sandbox.gotui.dev/url") \
                    and (pod.get("status") or {}).get("phase") == "Running":
                return key
        return None

    key = await until(pilot, serving, what="a serving go-api pod")
    pane.table.focus()
    await until(pilot, lambda: pane.table.move_to(key) and pane.table.cursor_key == key, what="cursor on the pod")
    return key


async def test_port_forward_start_list_stop(sandbox, tmp_path):
    settings = make_settings(sandbox, tmp_path)
    app = GotuiApp(settings)
    async with app.run_test(size=(80, 24)) as pilot:
        ns, pod = await _on_serving_pod(pilot, app)
        # no terminal to hand over (headless; stdin not a tty): the shell is refused before anything starts
        await pilot.press("s")
        await until(pilot, lambda: any(n.message == NO_TERMINAL for n in app._notifications), what="no terminal")
        # F, then the prompt's text replaced by "auto" and Enter, in one burst
        await pilot.press("F", "ctrl+u", "a", "u", "t", "o", "enter")
        forwards = forwards_of(app)
        fwd = (await until(pilot, lambda: forwards.all(), what="forward started"))[0]
        assert (fwd.namespace, fwd.pod, fwd.port) == (ns, pod, 8080) and fwd.local > 0
        body = await asyncio.to_thread(_get, f"http://127.0.0.1:{fwd.local}/version")
        assert body["pod"] == pod
        await until(pilot, lambda: "forwarding 127.0.0.1" in str(app.pane("pods").query_one("#pane-status").render()),
                    what="status names the forward")
        # the forwards view lists it; ctrl+d stops it at once (no dialog), in the same burst
        await pilot.press("f", "ctrl+d")
        await until(pilot, lambda: not forwards.all(), what="forward stopped")
        assert isinstance(app.screen, PortForwardsScreen)
        await pilot.press("escape", ":", "p", "f", "enter")  # :pf opens the same view
        await until(pilot, lambda: isinstance(app.screen, PortForwardsScreen), what=":pf view")
        with pytest.raises(OSError):
            await asyncio.to_thread(_get, f"http://127.0.0.1:{fwd.local}/version")
        lines = AuditLog(settings.audit_log).read(50)
        assert [(e["action"], e["outcome"]) for e in lines] == [("port-forward pod", "started"),
                                                                ("port-forward pod", "stopped")]
        assert lines[0]["target"] == pod
        # a port the pod does not listen on: named, nothing left running
        await pilot.press("escape", "F", "ctrl+u", "0", ":", "9", "9", "9", "9", "enter")
        await until(pilot, lambda: any("does not listen on port 9999" in n.message for n in app._notifications),
                    what="refusal named")
        assert not forwards.all()
        # a pod of several containers asks which one first; Enter takes the first (then: no terminal here)
        pane = app.pane("pods")
        worker = next(k for k in pane.shown if k[1].startswith("worker-"))
        await until(pilot, lambda: pane.table.move_to(worker) and pane.table.cursor_key == worker, what="worker")
        app.clear_notifications()
        await pilot.press("s", "enter")
        await until(pilot, lambda: any(n.message == NO_TERMINAL for n in app._notifications), what="the container picked")
        assert len(app.screen_stack) == 1, app.screen_stack


async def test_readonly_refuses_shell_and_port_forward(sandbox, tmp_path):
    settings = make_settings(sandbox, tmp_path, readonly=True)
    app = GotuiApp(settings)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("2")
        pane = app.pane("pods")
        await until(pilot, lambda: pane.shown, what="pods listed")
        pane.table.focus()
        await pilot.press("s", "F")
        await until(pilot, lambda: sum("read-only" in n.message for n in app._notifications) >= 2,
                    what="both refused")
        assert not isinstance(app.screen, AskPort) and not forwards_of(app).all()
        assert AuditLog(settings.audit_log).read(10) == []
