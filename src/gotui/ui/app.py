"""The gotui Textual app: header, pane tabs, four panes, footer, and the action gate (`app.gate`, ui/action_gate.py)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual import events
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.timer import Timer
from textual.widgets import ContentSwitcher, Footer

from gotui.config import Settings
from gotui.ops.actions import Action
from gotui.ops.audit import AuditLog
from gotui.ops.errors import describe_error
from gotui.ui import plain_cells, themes
from gotui.ui.action_gate import ActionGate
from gotui.ui.command_bar import CommandBar, CommandKeys
from gotui.ui.confirm import ConfirmModal, QuitWhileRunning
from gotui.ui.help import show_help
from gotui.ui.key_order import FENCE_TIMEOUT_S, KeyFence, KeyOrder
from gotui.ui.palette import ActionsProvider
from gotui.ui.panes.base import Pane
from gotui.ui.resource_view import ResourceView
from gotui.ui.statusbar import PaneTabs, StatusBar

plain_cells.install()

_BLOCKED_IN_DIALOG = frozenset({"show_pane", "help", "history", "command_palette"})

STYLES_DIR = Path(__file__).resolve().parent.parent / "styles"


def stylesheets() -> list[Path]:
    """Every TCSS file shipped in gotui/styles, base first."""
    files = sorted(STYLES_DIR.glob("*.tcss"), key=lambda p: (p.name != "base.tcss", p.name))
    return files


class GotuiApp(CommandKeys, App[None]):
    """The gotui console."""

    TITLE = "gotui"
    CSS_PATH = stylesheets()  # type: ignore[assignment]
    COMMANDS = App.COMMANDS | {ActionsProvider}
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (110, "-wide")]
    ENABLE_COMMAND_PALETTE = True
    AUTO_FOCUS = ".pane-main"

    BINDINGS = [
        Binding("1", "show_pane('images')", "Images", show=False, id="pane.images"),
        Binding("2", "show_pane('pods')", "Pods", show=False, id="pane.pods"),
        Binding("3", "show_pane('hpa')", "HPA", show=False, id="pane.hpa"),
        Binding("4", "show_pane('releases')", "Releases", show=False, id="pane.releases"),
        Binding("tab", "next_pane", "Next pane", show=False, priority=True, id="pane.next"),
        Binding("shift+tab", "prev_pane", "Previous pane", show=False, priority=True, id="pane.prev"),
        Binding("question_mark", "help", "Help", id="help"),
        Binding("H", "history", "History", show=False, id="history"),
        Binding("q", "quit", "Quit", id="quit"),
        Binding("ctrl+c", "quit", "Quit", show=False, id="quit.ctrl_c"),
        # k9s keys; priority, so a burst (`:deploy⏎`) is read in order (ui/command_bar.py)
        Binding("colon", "command", "Command", show=False, priority=True, id="command"),
        Binding("left_square_bracket", "view_back", "Previous view", show=False, priority=True, id="view.back"),
        Binding("right_square_bracket", "view_forward", "Next view", show=False, priority=True, id="view.forward"),
        Binding("minus", "view_last", "Last view", show=False, priority=True, id="view.last"),
    ]

    def __init__(self, settings: Settings | None = None, *, panes: list[Pane] | None = None) -> None:
        super().__init__()
        self.settings = settings or Settings()
        self.audit = AuditLog(self.settings.audit_log, source="tui")
        self.gate = ActionGate(self)
        self._keys = KeyOrder()
        self._key_target: Any = None
        self.panes: list[Pane] = panes if panes is not None else self._default_panes()
        # Set by the Kubernetes side: returns a reason string when RBAC denies `action`, else None.
        self.rbac_checker: Callable[[Action], str | None] | None = None
        self.services: dict[str, Any] = {}
        from gotui.ui.navigation import Navigator

        self.navigator = Navigator(self)
        self.crash_log: Path | None = None
        # The theme (`auto` picks the terminal-palette theme over SSH / 16 colours / NO_COLOR);
        # an unknown name keeps the default and is reported after the first frame.
        self._bad_theme = themes.install(self, self.settings.theme)
        if self.settings.keys:
            self.set_keymap(self.settings.keys)

    @staticmethod
    def _default_panes() -> list[Pane]:
        from gotui.ui.panes.hpa import HpaPane
        from gotui.ui.panes.images import ImagesPane
        from gotui.ui.panes.pods import PodsPane
        from gotui.ui.panes.releases import ReleasesPane

        return [ImagesPane(), PodsPane(), HpaPane(), ReleasesPane()]

    def notify(self, message: str, *, markup: bool = False, **kwargs: Any) -> None:  # type: ignore[override]
        """Notifications carry text from outside (errors, names): never parsed as markup."""
        super().notify(message, markup=markup, **kwargs)

    def watch_theme(self, _theme: str) -> None:
        themes.fix_filters(self)

    # -- crash handling: the traceback goes to a file, never onto the operator's screen ---------
    def _fatal_error(self) -> None:
        from gotui.crash import write_crash_log

        self.bell()
        try:
            self.crash_log = write_crash_log(self._exception)
        except OSError:
            self.crash_log = None
        self._close_messages_no_wait()

    def panic(self, *renderables: object) -> None:  # exceptions with __rich__ land here, not in _fatal_error
        from gotui.crash import write_crash_log

        try:
            self.crash_log = write_crash_log(self._exception)
        except OSError:
            self.crash_log = None
        self._close_messages_no_wait()

    def _print_error_renderables(self) -> None:
        self._exit_renderables.clear()

    # -- layout ---------------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        bar = StatusBar(id="statusbar")
        bar.readonly = self.settings.readonly
        bar.context = self.settings.context or "-"
        bar.namespace = self.settings.namespace or "-"
        yield bar
        yield PaneTabs([(p.PANE_ID, p.TITLE) for p in self.panes], id="pane-tabs")
        with Vertical(id="main"):
            with ContentSwitcher(initial=self.panes[0].id, id="switcher"):
                yield from self.panes
                yield ResourceView()
        yield CommandBar(id="command-bar")
        yield Footer(id="footer", compact=True, show_command_palette=False)  # ^p is on the tab line

    def on_mount(self) -> None:
        self.query_one(PaneTabs).active = self.panes[0].PANE_ID
        self.navigator.attach()
        if getattr(self, "_bad_theme", None):
            self.notify(f"Unknown theme {self._bad_theme!r} in the config; using the default.", severity="warning")
        # The first Docker lists are fetched now, in a thread, so the first rows follow the first frame
        # closely (ImagesPane.prefetch); the sources start after the first frame, so start-up never
        # waits on Docker or Kubernetes.
        for pane in self.panes:
            prefetch = getattr(pane, "prefetch", None)
            if prefetch is not None:
                prefetch()
        self.call_after_refresh(self.start_services)

    def on_unmount(self) -> None:
        """Kill exec credential plugins still running: quitting never waits on one (its worker
        thread would hold the interpreter's exit)."""
        from gotui.sources.exec_plugin import kill_running_plugins
        from gotui.ui.port_forwards import stop_all

        kill_running_plugins()
        stop_all(self, "stopped (gotui quit)")  # each forward's outcome line is written

    KUBE_START_DELAY = 1.0  # s: Kubernetes starts after the first Docker list, or after this

    def start_services(self) -> None:
        """Start every pane's sources (after the first frame). Panes that need no Kubernetes
        (Docker's images) start first; the Kubernetes client (a long import and set-up on this
        thread) starts once the first Docker list is on screen, or after KUBE_START_DELAY."""
        from gotui.sources import preload_http_stack

        preload_http_stack()  # before any worker starts (see there)

        self._kube_started = False
        started = False
        for pane in self.panes:
            if not getattr(pane, "NEEDS_KUBE", True):
                started = True
                try:
                    pane.start()
                except Exception as exc:  # noqa: BLE001 - a pane that cannot start says so, others go on
                    pane.set_status(describe_error(exc, what="could not start"), "error")
        if started:
            self._kube_timer = self.set_timer(self.KUBE_START_DELAY, self.start_kube_services)
        else:
            self.start_kube_services()

    def first_docker_list_shown(self) -> None:
        """The Images pane drew its first list: Kubernetes may start now."""
        if not getattr(self, "_kube_started", True):
            self.call_after_refresh(self.start_kube_services)

    def start_kube_services(self) -> None:
        if getattr(self, "_kube_started", False):
            return
        self._kube_started = True
        timer = getattr(self, "_kube_timer", None)
        if timer is not None:
            timer.stop()
        if "kube" not in self.services:
            try:
                from gotui.ui.kube_bridge import KubeBridge

                bridge = KubeBridge(self)
                self.services["kube"] = bridge
                bridge.start()
            except Exception as exc:  # noqa: BLE001 - Kubernetes failing never stops the other panes
                self.notify(describe_error(exc, what="Kubernetes"), severity="error")
        for pane in self.panes:
            if not getattr(pane, "NEEDS_KUBE", True):
                continue
            try:
                pane.start()
            except Exception as exc:  # noqa: BLE001 - a pane that cannot start says so, others go on
                pane.set_status(describe_error(exc, what="could not start"), "error")

    @property
    def status_bar(self) -> StatusBar:
        return self.query_one(StatusBar)

    # -- panes ----------------------------------------------------------------------------------
    def pane(self, pane_id: str) -> Pane:
        for pane in self.panes:
            if pane.PANE_ID == pane_id:
                return pane
        raise KeyError(pane_id)

    @property
    def active_pane(self) -> Pane:
        switcher = self.query_one(ContentSwitcher)
        for pane in self.panes:
            if pane.id == switcher.current:
                return pane
        return self.panes[0]

    def action_node(self, verb: str) -> None:
        """cordon / uncordon / drain the node under the cursor of the `:no` view (gotui.ui.node_actions)."""
        from gotui.ui.node_actions import node_action

        node_action(self, verb)

    def action_show_pane(self, pane_id: str) -> None:
        pane = self.pane(pane_id)
        self.query_one(ContentSwitcher).current = pane.id
        self.query_one(PaneTabs).active = pane_id
        pane.focus_main()

    def _step_pane(self, step: int) -> None:
        index = self.panes.index(self.active_pane)
        self.action_show_pane(self.panes[(index + step) % len(self.panes)].PANE_ID)

    def action_next_pane(self) -> None:
        if self.screen is not self.screen_stack[0]:
            self.screen.focus_next()  # inside a modal, Tab moves focus as usual
        else:
            self._step_pane(1)

    def action_prev_pane(self) -> None:
        if self.screen is not self.screen_stack[0]:
            self.screen.focus_previous()
        else:
            self._step_pane(-1)

    async def run_pane_action(self, pane_id: str, action: str) -> None:
        """Switch to `pane_id` and run one of its actions (used by the command palette)."""
        self.action_show_pane(pane_id)
        await self.pane(pane_id).run_action(action)

    def action_help(self) -> None:
        show_help(self)  # every binding, as the keymap has it now (ui/help.py)

    def action_history(self) -> None:
        from gotui.ui.history import HistoryScreen

        self.push_screen(HistoryScreen(self.audit))

    # -- keys typed ahead: one at a time, each where the previous one left the focus (ui/key_order.py) ---
    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key) and not event.is_forwarded:
            await self._keys.key(event, self._dispatch_key, self._post_fence)
            return
        await super().on_event(event)

    async def _dispatch_key(self, event: events.Key) -> None:
        self._key_target = self.focused or self.screen
        await super().on_event(event)

    def _post_fence(self, fence: KeyFence) -> Timer:
        target = self._key_target
        if target is None or not target.is_attached or not target.post_message(fence):
            self.post_message(fence)

        async def timed_out() -> None:
            await self._keys.fenced(fence, self._dispatch_key, self._post_fence, timed_out=True)

        return self.set_timer(FENCE_TIMEOUT_S, timed_out)

    async def _on_key(self, event: events.Key) -> None:
        await App._on_key(self, event)  # the bindings, as Textual runs them
        event.prevent_default()  # (so App._on_key does not run twice)
        await self._keys.handled(event, self._dispatch_key, self._post_fence)

    async def on_key_fence(self, message: KeyFence) -> None:
        message.stop()
        await self._keys.fenced(message, self._dispatch_key, self._post_fence)

    # -- the action gate: `app.gate.perform(...)` (gotui.ui.action_gate; the plain half is gotui.ops.gate)
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """While a dialog is open, the app's own keys (panes, help, history, palette) do nothing."""
        if action in _BLOCKED_IN_DIALOG and isinstance(self.screen, (ConfirmModal, QuitWhileRunning)):
            return False
        return True

    async def action_quit(self) -> None:
        """Quit; while an action runs, ask first and wait for its audit line."""
        self.gate.request_quit()
