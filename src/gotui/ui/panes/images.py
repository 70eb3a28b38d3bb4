"""The Images pane (being built; see the issue tracker)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import DataTable

from gotui.ui.panes.base import Pane


class ImagesPane(Pane):
    PANE_ID = "images"
    TITLE = "Images"

    def compose_main(self) -> ComposeResult:
        yield DataTable(id="images-table", classes="pane-main", cursor_type="row")

    def start(self) -> None:
        self.set_status("no source connected yet", "warning")
