"""Pilot tests of what keeps big tables cheap under churn: rows changing off screen repaint nothing, a
key list changed in place keeps the cursor on its key, a hidden Releases pane rebuilds only when shown,
the Pods filter's kept matches follow the rows."""

from __future__ import annotations

from pathlib import Path

import pytest
from kubernetes import client
from textual.app import App, ComposeResult

from fixtures.pilot import make_settings, until
from gotui.config import Settings
from gotui.ui.app import GotuiApp
from gotui.ui.kube_table import Column, VirtualTable
from gotui.ui.messages import KubeChanged


class TableApp(App):
    def __init__(self, keys: list[str]) -> None:
        super().__init__()
        self.keys = keys

    def compose(self) -> ComposeResult:
        yield VirtualTable([Column("name", "NAME", 10, flex=True)], lambda key: [(str(key), None)], id="t")

    def on_mount(self) -> None:
        table = self.query_one(VirtualTable)
        table.set_keys(self.keys)
        table.focus()


async def test_rows_changing_off_screen_repaint_nothing():
    app = TableApp([f"pod-{i:05d}" for i in range(5000)])
    async with app.run_test(size=(40, 12)) as pilot:
        table = app.query_one(VirtualTable)
        await until(pilot, lambda: table.painted_rows == 5000, what="first paint")
        await pilot.pause()
        before = table.render_count
        table.invalidate({f"pod-{i:05d}" for i in range(100, 1100)})  # a thousand rows far below the screen
        await pilot.pause()
        await pilot.pause()
        assert table.render_count == before
        table.invalidate({"pod-00002"})  # on screen: its line only
        await until(pilot, lambda: table.render_count > before, what="the changed line repainted")
        assert table.render_count - before < 3


async def test_keys_changed_in_place_keep_the_cursor_on_its_key():
    keys = [f"pod-{i:03d}" for i in range(100)]
    app = TableApp(keys)
    async with app.run_test(size=(40, 12)) as pilot:
        table = app.query_one(VirtualTable)
        await pilot.press("down", "down", "down")
        assert table.cursor_key == "pod-003"
        keys.insert(0, "pod-000-new")  # the owner's sorted list, changed in place
        del keys[50]
        table.set_keys(keys)
        await pilot.pause()
        assert table.cursor_key == "pod-003" and table.cursor == 4


async def test_hidden_releases_pane_rebuilds_when_shown(tmp_path: Path):
    settings = Settings(audit_log=tmp_path / "audit.jsonl", kubeconfig=str(tmp_path / "none"), context="x",
                        namespace="shop", docker_host=f"unix://{tmp_path}/no-docker.sock", config_path=tmp_path / "c.yaml")
    app = GotuiApp(settings)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("2")
        # Kubernetes' panes start 1 s after the first frame here (no Docker list to wait for), and
        # start() builds the pane once: wait for it, or a slow machine counts that build as a reload
        await until(pilot, lambda: getattr(app, "_kube_started", False), what="Kubernetes panes started")
        await pilot.pause()
        releases = app.pane("releases")
        reloads: list[int] = []
        releases.reload = lambda: reloads.append(1)  # type: ignore[method-assign]
        for _ in range(5):  # pods churning while the Pods pane is shown
            releases.post_message(KubeChanged(frozenset({"pods"})))
        await pilot.pause()
        await pilot.pause()
        assert reloads == []
        await pilot.press("4")
        await until(pilot, lambda: reloads, what="rebuilt when shown")


@pytest.mark.sandbox
async def test_filter_typed_and_erased_follows_rows_that_join(fresh_sandbox, tmp_path):
    """Typing on narrows the last matches and erasing reuses earlier ones: a pod created meanwhile must
    still show up in both directions."""
    sb = fresh_sandbox("quiet")
    app = GotuiApp(make_settings(sb, tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("2")
        pane = app.pane("pods")
        await until(pilot, lambda: len(pane.rows) >= 7, what="pods listed")

        def expected(text: str) -> list[tuple[str, str]]:
            return sorted((k for k in pane.rows if text in k[1]), key=lambda k: (k[1], k[0]))

        await pilot.press("slash", *"go-api-g")
        await until(pilot, lambda: pane.filter_text == "go-api-g", what="filter typed")
        assert list(pane.shown) == expected("go-api-g") and len(pane.shown) == 3
        client.CoreV1Api(sb.api_client).create_namespaced_pod("shop", {
            "metadata": {"name": "go-api-gz", "labels": {"app": "x"}}, "spec": {"containers": [{"name": "c", "image": "i"}]}})
        await until(pilot, lambda: ("shop", "go-api-gz") in pane.shown, what="new pod matched")
        await pilot.press("backspace", "backspace")  # "go-api": typed before the pod existed
        await until(pilot, lambda: pane.filter_text == "go-api", what="filter erased")
        assert list(pane.shown) == expected("go-api") and ("shop", "go-api-gz") in pane.shown
        await pilot.press(*"-gz")
        await until(pilot, lambda: pane.filter_text == "go-api-gz", what="typed on")
        assert list(pane.shown) == [("shop", "go-api-gz")]


def _count_layouts(widget) -> list[int]:  # noqa: ANN001
    """Record the layout refreshes `widget` asks for (each one re-lays out and repaints the screen)."""
    asked: list[int] = []
    real = widget.refresh

    def refresh(*regions, repaint=True, layout=False, recompose=False):  # noqa: ANN001, ANN202
        if layout:
            asked.append(1)
        return real(*regions, repaint=repaint, layout=layout, recompose=recompose)

    widget.refresh = refresh
    return asked


async def test_row_count_changes_lay_out_only_when_the_scrollbar_comes_or_goes():
    """A filter keystroke changes the row count: the table's virtual size was a layout reactive, so each
    key re-laid out and repainted every widget (at 150,000 pods most of a keystroke's time)."""
    app = TableApp([f"pod-{i:05d}" for i in range(5000)])
    async with app.run_test(size=(40, 12)) as pilot:
        table = app.query_one(VirtualTable)
        await until(pilot, lambda: table.painted_rows == 5000, what="first paint")
        layouts = _count_layouts(table)
        for n in (3000, 1200, 40):  # more rows than the screen shows: the scrollbar stays
            table.set_keys([f"pod-{i:05d}" for i in range(n)])
            await pilot.pause()
            assert table.virtual_size.height == n + 1 and table.show_vertical_scrollbar
        assert layouts == []
        table.set_keys(["pod-00001", "pod-00002"])  # fits the screen: the scrollbar goes, the columns widen
        await pilot.pause()
        assert layouts and not table.show_vertical_scrollbar
        await pilot.pause()
        assert table.scroll_y == 0 and "pod-00002" in "".join(s.text for s in table.render_line(2))


async def test_filter_keystrokes_do_not_lay_out_the_screen(tmp_path: Path):
    """Textual's Input sets its virtual size (a layout reactive) on every keystroke: each filter key laid
    out and repainted the whole screen. The filter bar's width never depends on its text."""
    settings = Settings(audit_log=tmp_path / "audit.jsonl", kubeconfig=str(tmp_path / "none"), context="x",
                        namespace="shop", docker_host=f"unix://{tmp_path}/no-docker.sock", config_path=tmp_path / "c.yaml")
    app = GotuiApp(settings)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("2", "slash")
        pane = app.pane("pods")
        from gotui.ui.panes.base import FilterBar

        bar = pane.query_one(FilterBar)
        await until(pilot, lambda: app.screen.focused is bar, what="filter bar focused")
        await pilot.pause()
        layouts = _count_layouts(bar)
        await pilot.press(*"payments-1")
        await until(pilot, lambda: pane.filter_text == "payments-1", what="typed")
        assert layouts == [] and bar.value == "payments-1"
        await pilot.press("backspace", "backspace")
        await until(pilot, lambda: pane.filter_text == "payments", what="erased")
        assert layouts == []
