"""Layers of an image, dive-style: efficiency, wasted bytes, Go advice, the layer list and each
layer's file tree (collapsible directories, filter by added/changed/removed/wasted).

The export streams in a thread worker (`DockerSource.export_image` -> `layer_tree.read_export`)
with progress on the summary line; leaving the screen closes the stream.
"""

from __future__ import annotations

import time
from typing import Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from gotui.ops import image_analysis as ia
from gotui.ops import layer_tree as lt
from gotui.ops.docker_ops import human_size
from gotui.ops.sanitize import safe_text
from gotui.sources.docker_source import DockerSource

FILTERS = ("all", lt.ADDED, lt.CHANGED, lt.REMOVED, "wasted")
_DIFF_STYLE = {lt.ADDED: "green", lt.CHANGED: "yellow", lt.REMOVED: "red"}
_DIFF_MARK = {lt.ADDED: "+", lt.CHANGED: "~", lt.REMOVED: "-"}
AUTO_COLLAPSE_ROWS = 2000  # a layer with more rows opens with its directories below the top collapsed


def visible_rows(rows: list[lt.TreeRow], collapsed: set[str], mode: str) -> list[lt.TreeRow]:
    """The rows shown: under no collapsed directory, matching the filter (or an ancestor of a match)."""
    if mode != "all":
        keep: set[str] = set()
        for row in rows:
            if (row.wasted and not row.is_dir) if mode == "wasted" else (row.diff == mode and not (row.is_dir and mode != lt.REMOVED)):
                keep.add(row.path)
                parent = row.path.rsplit("/", 1)[0]
                while parent and parent not in keep:
                    keep.add(parent)
                    parent = parent.rsplit("/", 1)[0]
        rows = [r for r in rows if r.path in keep]
    out: list[lt.TreeRow] = []
    hidden_under = ""
    for row in rows:
        if hidden_under and row.path.startswith(hidden_under):
            continue
        hidden_under = ""
        out.append(row)
        if row.is_dir and row.path in collapsed:
            hidden_under = row.path + "/"
    return out


class ListTable(DataTable):
    """A row table where home/end (and g/G) go to the first/last row."""

    BINDINGS = [
        Binding("home,g", "scroll_top", "Top", show=False),
        Binding("end,G", "scroll_bottom", "Bottom", show=False),
    ]


class TreeTable(ListTable):
    """The file tree: left folds the directory (or goes to its parent), right unfolds it."""

    BINDINGS = [
        Binding("left", "fold", "Fold", show=False),
        Binding("right", "unfold", "Unfold", show=False),
    ]

    def action_fold(self) -> None:
        screen = self.screen
        if isinstance(screen, LayersScreen):
            screen.fold(True)

    def action_unfold(self) -> None:
        screen = self.screen
        if isinstance(screen, LayersScreen):
            screen.fold(False)


class LayersScreen(Screen[None]):
    """Layer list on top, the highlighted layer's tree below; tab switches between them."""

    BINDINGS = [
        Binding("escape,q", "close", "Back", id="layers.close"),
        Binding("tab", "switch", "Layers/Tree", id="layers.switch", priority=True),
        Binding("space", "toggle_dir", "Fold dir", id="layers.fold"),
        Binding("f", "cycle_filter", "Filter", id="layers.filter"),
        Binding("a", "toggle_advice", "Advice", id="layers.advice"),
    ]

    DEFAULT_CSS = """
    LayersScreen #layers-summary { height: auto; max-height: 7; }
    LayersScreen #layers-list { height: 7; }
    LayersScreen #layers-tree { height: 1fr; }
    """

    def __init__(self, source: DockerSource, ref: str, name: str) -> None:
        super().__init__(classes="docker-screen")
        self.source = source
        self.ref = ref
        self.display_name = name
        self.analysis: lt.WasteAnalysis | None = None
        self.advice: list[str] = []
        self.show_advice = True
        self.layer_index = 0
        self.rows: list[lt.TreeRow] = []
        self.shown: list[lt.TreeRow] = []
        self.collapsed: set[str] = set()
        self.filter = "all"
        self.progress = ""
        self._stream: Any = None
        self._last_progress = 0.0

    def compose(self) -> ComposeResult:
        yield Static(Text(f" layers: {safe_text(self.display_name)} ", style="bold reverse"), classes="screen-title")
        yield Static("exporting…", id="layers-summary")
        yield ListTable(id="layers-list", cursor_type="row")
        yield TreeTable(id="layers-tree", cursor_type="row")
        yield Footer()

    def on_mount(self) -> None:
        layers = self.query_one("#layers-list", DataTable)
        for label in ("#", "size", "wasted", "command"):
            layers.add_column(label, key=label)
        tree = self.query_one("#layers-tree", DataTable)
        for label in ("", "size", "path"):
            tree.add_column(label, key=label or "diff")
        layers.focus()
        self.analyze()

    # -- worker ---------------------------------------------------------------------------------
    @work(thread=True, exclusive=True, exit_on_error=False, group="layers")
    def analyze(self) -> None:
        try:
            info = self.source.inspect_image(self.ref)
            total = int(info.get("Size") or 0)
            env = list((info.get("Config") or {}).get("Env") or [])
            self._stream = self.source.export_image(self.ref)
            layers, _config = lt.read_export(self._stream, on_progress=self._on_progress, total=total)
            analysis = lt.analyze_layers(layers, env)
            advice = ia.go_advice(analysis)
            wasted = self._wasted_per_layer(analysis)
        except Exception as exc:  # noqa: BLE001
            if self._stream is not None and self._stream.closed:
                return  # the screen went away
            from gotui.ops.errors import describe_error

            message = describe_error(exc, what="image export")
            self.app.call_from_thread(self._show_error, message)
            return
        finally:
            if self._stream is not None:
                self._stream.close()
        self.app.call_from_thread(self._show, analysis, advice, wasted)

    def _on_progress(self, done: int, total: int) -> None:
        now = time.monotonic()
        if now - self._last_progress < 0.2:
            return
        self._last_progress = now
        share = f" ({min(99, done * 100 // total)} %)" if total else ""
        text = f"exporting… {human_size(done)}{share}"
        try:
            self.app.call_from_thread(self._set_summary, Text(text))
        except Exception:  # noqa: BLE001 - the app is closing
            pass

    def _set_summary(self, text: Text) -> None:
        self.progress = text.plain
        self.query_one("#layers-summary", Static).update(text)

    def _show_error(self, message: str) -> None:
        self._set_summary(Text(message, style="bold red"))

    # -- rendering ------------------------------------------------------------------------------
    def summary_text(self) -> Text:
        a = self.analysis
        if a is None:
            return Text(self.progress)
        text = Text()
        text.append("efficiency ", style="dim")
        text.append(f"{a.efficiency * 100:.4f} %", style="bold")
        text.append("  wasted ", style="dim")
        text.append(human_size(a.wasted_bytes), style="bold red" if a.wasted_bytes else "bold")
        text.append(f" ({a.wasted_user_percent * 100:.1f} % of user)", style="dim")
        text.append(f"  {human_size(a.size_bytes)}")
        text.append(f"  filter:{self.filter}", style="dim")
        if a.opaque_hidden:
            text.append(f"\n+ {human_size(a.opaque_hidden)} in lower layers hidden by opaque directories "
                        "(not in dive's figures)", style="dim")
        if self.show_advice:
            for line in self.advice:
                text.append("\nⓘ " + line, style="yellow")
        return text

    def _show(self, analysis: lt.WasteAnalysis, advice: list[str], wasted_by_layer: list[int]) -> None:
        self.analysis = analysis
        self.advice = advice
        self.query_one("#layers-summary", Static).update(self.summary_text())
        table = self.query_one("#layers-list", DataTable)
        table.clear()
        for i, layer in enumerate(analysis.layers):
            cmd = ia.instruction(layer.command) if layer.command else "(missing)"
            table.add_row(str(i), human_size(layer.size), human_size(wasted_by_layer[i]) if wasted_by_layer[i] else "",
                          Text(safe_text(cmd, 200)), key=str(i))
        self.select_layer(0)

    @staticmethod
    def _wasted_per_layer(analysis: lt.WasteAnalysis) -> list[int]:
        """Bytes of each layer overwritten or deleted later (files only)."""
        out = []
        for i in range(len(analysis.layers)):
            out.append(sum(r.size for r in lt.layer_rows(analysis, i) if r.wasted and not r.is_dir and r.diff != lt.REMOVED))
        return out

    def select_layer(self, index: int) -> None:
        if self.analysis is None or not self.analysis.layers:
            return
        self.layer_index = max(0, min(index, len(self.analysis.layers) - 1))
        self.rows = lt.layer_rows(self.analysis, self.layer_index)
        self.collapsed = set()
        if len(self.rows) > AUTO_COLLAPSE_ROWS:
            self.collapsed = {r.path for r in self.rows if r.is_dir and r.depth >= 1}
        self.render_tree()

    def render_tree(self, keep: str | None = None) -> None:
        table = self.query_one("#layers-tree", DataTable)
        self.shown = visible_rows(self.rows, self.collapsed, self.filter)
        table.clear()
        cursor = 0
        for i, row in enumerate(self.shown):
            if row.path == keep:
                cursor = i
            style = _DIFF_STYLE.get(row.diff, "")
            mark = _DIFF_MARK.get(row.diff, " ") + ("!" if row.wasted else " ")
            fold = ("▸ " if row.path in self.collapsed else "▾ ") if row.is_dir else "  "
            name = safe_text(row.name, 200) + ("/" if row.is_dir else "")
            if row.link:
                name += " → " + safe_text(row.link, 200)
            table.add_row(Text(mark, style=style), Text(human_size(row.size), style="bold red" if row.wasted else ""),
                          Text("  " * row.depth + fold + name, style=style), key=row.path)
        if self.shown:
            table.move_cursor(row=cursor)

    # -- events and actions ---------------------------------------------------------------------
    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table.id == "layers-list" and self.analysis is not None:
            index = event.cursor_row
            if index != self.layer_index or not self.rows:
                self.select_layer(index)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if event.data_table.id == "layers-tree":
            self.action_toggle_dir()
        elif event.data_table.id == "layers-list":
            self.query_one("#layers-tree", DataTable).focus()

    def action_switch(self) -> None:
        layers = self.query_one("#layers-list", DataTable)
        tree = self.query_one("#layers-tree", DataTable)
        (layers if tree.has_focus else tree).focus()

    def current_row(self) -> lt.TreeRow | None:
        table = self.query_one("#layers-tree", DataTable)
        if not self.shown or table.cursor_row >= len(self.shown):
            return None
        return self.shown[table.cursor_row]

    def action_toggle_dir(self) -> None:
        row = self.current_row()
        if row is None or not row.is_dir:
            return
        self.collapsed.symmetric_difference_update({row.path})
        self.render_tree(keep=row.path)

    def fold(self, fold: bool) -> None:
        """Fold/unfold the directory under the cursor; folding a file or a folded directory moves
        to its parent directory."""
        row = self.current_row()
        if row is None:
            return
        if row.is_dir and (row.path in self.collapsed) != fold:
            self.collapsed.symmetric_difference_update({row.path})
            self.render_tree(keep=row.path)
        elif fold and row.depth > 0:
            parent = row.path.rsplit("/", 1)[0]
            index = next((i for i, r in enumerate(self.shown) if r.path == parent), None)
            if index is not None:
                self.query_one("#layers-tree", DataTable).move_cursor(row=index)

    def action_cycle_filter(self) -> None:
        self.filter = FILTERS[(FILTERS.index(self.filter) + 1) % len(FILTERS)]
        if self.analysis is not None:
            self.query_one("#layers-summary", Static).update(self.summary_text())
        row = self.current_row()
        self.render_tree(keep=row.path if row else None)

    def action_toggle_advice(self) -> None:
        self.show_advice = not self.show_advice
        if self.analysis is not None:
            self.query_one("#layers-summary", Static).update(self.summary_text())

    def action_close(self) -> None:
        self.dismiss(None)

    def on_unmount(self) -> None:
        if self._stream is not None:
            self._stream.close()
