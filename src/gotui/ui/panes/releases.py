"""The Releases pane (being built; see the issue tracker)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import DataTable

from gotui.ui.panes.base import Pane


class ReleasesPane(Pane):
    PANE_ID = "releases"
    TITLE = "Releases"

    def compose_main(self) -> ComposeResult:
        yield DataTable(id="releases-table", classes="pane-main", cursor_type="row")

    def start(self) -> None:
        self.set_status("no source connected yet", "warning")
