"""On-call checks of the Releases pane and the History screen at 80x24 against the sandbox."""

from __future__ import annotations

from pathlib import Path

import pytest

from fixtures.pilot import until
from gotui.config import Settings
from gotui.ops.actions import Action
from gotui.ops.audit import AuditLog
from gotui.ui.app import GotuiApp
from gotui.ui.confirm import ConfirmModal
from gotui.ui.history import HistoryScreen

pytestmark = [pytest.mark.sandbox, pytest.mark.timeout(120)]


def make_settings(sb, tmp_path: Path, **kw) -> Settings:
    return Settings(audit_log=tmp_path / "audit.jsonl", kubeconfig=str(sb.kubeconfig), context="gotui-sandbox",
                    namespace="shop", docker_host=f"unix://{tmp_path}/a-long-docker-host-path/no-docker.sock",
                    config_path=tmp_path / "c.yaml", **kw)




async def test_readonly_hides_release_actions_but_explains_a_press(fresh_sandbox, tmp_path):
    sb = fresh_sandbox("quiet")
    app = GotuiApp(make_settings(sb, tmp_path, readonly=True))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("4")
        pane = app.pane("releases")
        await until(pilot, lambda: any(r.kind == "color" for r in pane.rows.values()), what="apps listed")
        pane.select("app", "go-api")
        pane.table.focus()
        await pilot.pause(0.2)
        shown = {b.binding.action for b in app.screen.active_bindings.values() if b.binding.show}
        assert not shown & {"cutover", "rollback", "undo"}, shown
        status = str(pane.query_one("#pane-status").render())
        assert "cutover" not in status and "READ-ONLY" in status
        assert "m manifest" in status  # reading stays on offer
        await pilot.press("R")
        await until(pilot, lambda: any("read-only" in str(n.message) for n in app._notifications), what="why")
        assert not isinstance(app.screen, ConfirmModal)


async def test_history_shows_what_happened_at_80x24(fresh_sandbox, tmp_path):
    sb = fresh_sandbox("quiet")
    settings = make_settings(sb, tmp_path)
    audit = AuditLog(settings.audit_log)
    audit.record(Action(verb="cutover", kind="service", target="go-api", namespace="shop",
                        context="a-very-long-context-name-arn:aws:eks:eu-west-1:123456789012:cluster/prod"),
                 outcome="ok", duration_s=0.17)
    app = GotuiApp(settings)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("H")
        screen = await until(pilot, lambda: isinstance(app.screen, HistoryScreen) and app.screen, what="history")
        await pilot.pause(0.2)
        table = screen.query_one("DataTable")
        visible = table.size.width
        x = 0
        seen = []
        for col in table.ordered_columns:
            x += col.get_render_width(table)
            if x <= visible:
                seen.append(str(col.label))
        for label in ("time", "action", "target", "outcome"):
            assert label in seen, (label, seen)


async def test_ages_move_on_while_nothing_changes(fresh_sandbox, tmp_path, monkeypatch):
    from gotui.ui.panes.releases import ReleasesPane

    monkeypatch.setattr(ReleasesPane, "AGE_TICK", 0.5)
    sb = fresh_sandbox("quiet")
    app = GotuiApp(make_settings(sb, tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("4")
        pane = app.pane("releases")
        await until(pilot, lambda: any(r.kind == "color" for r in pane.rows.values()), what="apps listed")
        key = next(k for k, r in pane.rows.items() if r.kind == "color")
        first = str(pane.table.get_cell(key, "age"))
        await until(pilot, lambda: str(pane.table.get_cell(key, "age")) != first, timeout=6, what=f"age after {first}")
