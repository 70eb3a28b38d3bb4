"""The pane base: a status line, a filter bar, a table and a details area.

Each pane (Images, Pods, HPA, Releases) subclasses `Pane`. The app switches panes with 1-4 / Tab.
Panes keep their own data access in workers and tell the user, in their status line, what state
their source is in ("connecting…", "Docker engine not reachable at … — is it running?", …).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, ClassVar, cast

from rich.cells import cell_len
from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.geometry import Size
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import Input, Static

from gotui.ui.clipboard import copy_through_terminal

if TYPE_CHECKING:
    from gotui.ui.app import GotuiApp

SEVERITY_PREFIX = {"info": "", "ok": "✓ ", "warning": "! ", "error": "✗ "}


class FilterBar(Input):
    """The `/` filter input; Enter keeps the filter, Escape clears it and leaves, ctrl+u clears it and stays
    (the letters typed next are the new filter, never commands)."""

    BINDINGS = [
        Binding("escape", "clear_filter", "Clear filter", show=False),
        Binding("ctrl+u", "erase_filter", "Erase filter", show=False),
    ]

    def _watch_value(self, value: str) -> None:
        # Input sets its virtual size (a layout reactive) on every keystroke: each key then laid out and
        # repainted the whole screen (~45 ms a key at 120x40). The bar's own width never depends on its
        # text, so the new size is set without that pass.
        size = Size(self.content_width, 1)
        if size != self.virtual_size and not self.styles.auto_dimensions:
            self.set_reactive(Widget.virtual_size, size)
            self.refresh()
        super()._watch_value(value)

    def action_erase_filter(self) -> None:
        self.value = ""

    def action_clear_filter(self) -> None:
        self.value = ""
        pane = next((a for a in self.ancestors if isinstance(a, Pane)), None)
        if pane is not None:
            pane.close_filter()

    async def _on_key(self, event: events.Key) -> None:
        """Keys queued here in the same burst as the Enter that closed the filter (`/name⏎s` typed
        fast, or over SSH) are not text any more: they bubble up to the pane's bindings, which see
        the table focused by then."""
        if self.screen.focused is not self:  # (has_focus changes later, with the Blur message)
            event.prevent_default()  # Input._on_key would type it into the filter
        elif event.key == "enter":
            # close the filter now, in this queue: the keys queued behind the Enter come next here,
            # before the app would run the Enter binding or the pane see Submitted
            event.prevent_default()
            event.stop()
            self.post_message(self.Submitted(self, self.value))
            pane = next((a for a in self.ancestors if isinstance(a, Pane)), None)
            if pane is not None:
                pane.close_filter()


class DetailsView(VerticalScroll):
    """The scrollable details area beside (or below, when narrow) the table."""

    def compose(self) -> ComposeResult:
        yield Static(id="details-body", classes="details-body")

    _shown: object = None

    def show(self, renderable: object) -> None:
        """Show `renderable`; the same text again is not repainted (idle panes stay quiet)."""
        if isinstance(renderable, Text) and renderable == self._shown:
            return
        self._shown = renderable
        self.query_one("#details-body", Static).update(renderable)  # type: ignore[arg-type]


class Pane(Vertical):
    """Base class of the four main panes."""

    PANE_ID: ClassVar[str] = ""
    TITLE: ClassVar[str] = ""
    BINDINGS = [
        Binding("slash", "filter", "Filter", id="filter"),
        Binding("r", "refresh", "Refresh", show=False, id="refresh"),
        Binding("Y", "copy_name", "Copy name", show=False, id="copy"),
    ]

    filter_text: reactive[str] = reactive("", init=False)
    _stale_since: float | None = None

    def __init__(self) -> None:
        super().__init__(id=f"pane-{self.PANE_ID}", classes="pane")

    @property
    def gotui_app(self) -> GotuiApp:
        """`self.app`, typed: panes run inside the gotui app."""
        return cast("GotuiApp", self.app)

    def compose(self) -> ComposeResult:
        yield Static(id="pane-status", classes="pane-status")
        bar = FilterBar(placeholder="filter…  (Enter keeps it, Esc clears)", id="pane-filter")
        bar.display = False  # shown by `/`; hidden widgets never take the focus
        yield bar
        with Horizontal(classes="pane-body"):
            yield from self.compose_main()
            yield DetailsView(id="pane-details", classes="pane-details")

    def compose_main(self) -> ComposeResult:
        """Yield the pane's table (or other main widget)."""
        raise NotImplementedError

    _pending_status: tuple[str, str] | None = None
    _shown_status: tuple[str, str] = ("", "")

    def on_mount(self) -> None:
        if self._pending_status is not None:  # children are composed by now
            self.set_status(*self._pending_status)

    # -- status -----------------------------------------------------------------------------
    def set_status(self, message: str, severity: str = "info") -> None:
        """Show the source state or the last error in the pane's status line. Before the pane's children
        are mounted (a source can answer first) the line is kept and shown when they are."""
        self._pending_status = (message, severity)
        found = self.query("#pane-status")
        if not found:
            return
        self._pending_status = None
        status = cast(Static, found.first())
        style = {"error": "bold red", "warning": "yellow", "ok": "green"}.get(severity, "")
        text = SEVERITY_PREFIX.get(severity, "") + message
        if (text, style) == self._shown_status:
            return  # a change batch that left the line as it was repaints nothing
        # one line before and after: no layout pass (which re-arranges and repaints the whole screen)
        width = status.content_region.width
        layout = not (width and cell_len(text) <= width and cell_len(self._shown_status[0]) <= width)
        self._shown_status = (text, style)
        status.update(Text(text, style=style), layout=layout)
        status.set_class(severity == "error", "-error")

    def mark_stale(self, stale: bool) -> str:
        """Dim the rows while their source is down or reconnecting (they are the last ones seen); returns
        what the status line should add: " · rows as of HH:MM:SS" while stale, else ""."""
        if not stale:
            self._stale_since = None
            self.remove_class("-stale")
            return ""
        if self._stale_since is None:
            self._stale_since = time.time()
        self.add_class("-stale")
        return " · rows as of " + time.strftime("%H:%M:%S", time.localtime(self._stale_since))

    def copy_value(self) -> str | None:
        """The selected row's name, for `Y` (panes override)."""
        return None

    def action_copy_name(self) -> None:
        """`Y`: copy the selected row's name through the terminal (OSC 52: works over SSH)."""
        value = self.copy_value()
        if not value:
            self.notify("nothing selected to copy", severity="warning", timeout=3)
            return
        copy_through_terminal(self, value, value)

    def show_details(self, renderable: object) -> None:
        self.query_one(DetailsView).show(renderable)

    # -- filter ------------------------------------------------------------------------------
    def action_filter(self) -> None:
        bar = self.query_one(FilterBar)
        bar.display = True
        self.screen.set_focus(bar)  # now, not after a refresh: the keys typed next are the filter

    def close_filter(self) -> None:
        bar = self.query_one(FilterBar)
        if not bar.value:
            bar.display = False
        self.focus_main()  # now, not after the keys already queued (see FilterBar._on_key)

    def on_input_changed(self, event: Input.Changed) -> None:
        if isinstance(event.input, FilterBar):
            event.stop()
            self.filter_text = event.value

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if isinstance(event.input, FilterBar):
            event.stop()
            self.close_filter()

    def watch_filter_text(self, value: str) -> None:
        self.apply_filter(value)

    def apply_filter(self, text: str) -> None:
        """Re-render the table for the filter `text`."""

    def focus_main(self) -> None:
        """Focus the pane's main widget (its table), now: a key typed right after a pane switch (`2 ctrl+d`)
        must reach this pane, not the table of the pane just hidden."""
        mains = list(self.query(".pane-main"))
        shown = [w for w in mains if w.display and not w.has_class("-hidden")]  # (Images: images or containers)
        for widget in shown or mains:
            try:
                self.screen.set_focus(widget)
            except Exception:  # noqa: BLE001 - not on a screen yet: focus once mounted
                widget.focus()
            return

    def action_refresh(self) -> None:
        """Reload from the source (panes override)."""

    def on_show(self) -> None:
        self.call_after_refresh(self._focus_main_unless_inside)

    def _focus_main_unless_inside(self) -> None:
        """The pane was shown: focus its table, unless a key typed after the switch already moved the focus
        within the pane (`2/ab` in one read: the filter bar has it, and keeps it), or the pane was hidden
        again meanwhile (the first pane's Show at start-up came after `2/ab` had moved on to Pods)."""
        if not self.display:
            return
        focused = self.screen.focused if self.is_attached else None
        if focused is None or focused is self or self not in focused.ancestors:
            self.focus_main()

    def start(self) -> None:
        """Called once after the first frame: start sources, workers and watches."""
