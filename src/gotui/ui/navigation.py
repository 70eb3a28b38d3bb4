"""What `:` commands do, and the history of views (`[` back, `]` forward, `-` the last one).

A view is `pane:ID` (one of the four panes) or `kind:GROUP_RESOURCE` (the generic ResourceView).
`:po` and `:hpa` go to the Pods and HPA panes; any other kind discovery lists opens the ResourceView.
`:ctx NAME`, `:ns NAME` switch context / namespace (`:ctx` alone opens the picker, `:ns` alone lists
namespaces, `:ns all` watches all of them); `:q` quits through the app's own quit. The kinds registry
is read from discovery once per connection, in a thread, when `:` is first pressed, and again once when
a name is unknown (a CRD established since: `:crd` lists CRDs, `:SHORTNAME` / `:PLURAL` their objects).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.widgets import ContentSwitcher

from gotui.kube.kinds import K9S_ALIASES, Kind, KindRegistry
from gotui.ops.sanitize import safe_text

if TYPE_CHECKING:
    from gotui.ui.app import GotuiApp
    from gotui.ui.resource_view import ResourceView

PANE_COMMANDS = {
    "po": "pods", "pod": "pods", "pods": "pods",
    "hpa": "hpa", "horizontalpodautoscaler": "hpa", "horizontalpodautoscalers": "hpa",
    "horizontalpodautoscalers.autoscaling": "hpa",
    "img": "images", "image": "images", "images": "images", "docker": "images",
    "rel": "releases", "release": "releases", "releases": "releases", "helm": "releases",
}
QUIT = {"q", "q!", "quit", "qa", "exit"}
CONTEXT = {"ctx", "context", "contexts"}
NAMESPACE = {"ns", "namespace", "namespaces"}
ALL_NAMESPACES = {"all", "-a", "*", "--all-namespaces"}
HISTORY_MAX = 100
CONNECT_WAIT = 20.0  # a kind typed before the cluster answered runs when it does, within this long


class Navigator:
    """Runs `:` commands and keeps the view history of one app."""

    def __init__(self, app: GotuiApp) -> None:
        self.app = app
        self.history: list[str] = []
        self.pos = -1
        self.registry: KindRegistry | None = None
        self._registry_client: Any = None
        self._rediscovered: str | None = None  # the command that made discovery be read again
        self._loading = False
        self._pending: str | None = None
        self._moving = False  # set while history moves, so the switcher watch does not record

    # -- wiring ---------------------------------------------------------------------------------
    def attach(self) -> None:
        """Start recording pane switches (1-4, Tab) as views."""
        switcher = self.app.query_one("#switcher", ContentSwitcher)
        self.app.watch(switcher, "current", self._switched, init=True)

    def _switched(self, current: str | None) -> None:
        if self._moving or not current or not current.startswith("pane-") or current == "pane-resource":
            return
        self._record(f"pane:{current.removeprefix('pane-')}")

    def _record(self, view: str) -> None:
        if 0 <= self.pos < len(self.history) and self.history[self.pos] == view:
            return
        del self.history[self.pos + 1:]
        self.history.append(view)
        if len(self.history) > HISTORY_MAX:
            del self.history[0]
        self.pos = len(self.history) - 1

    @property
    def current(self) -> str | None:
        return self.history[self.pos] if 0 <= self.pos < len(self.history) else None

    @property
    def bridge(self) -> Any:
        return self.app.services.get("kube")

    @property
    def view(self) -> ResourceView:
        from gotui.ui.resource_view import ResourceView

        return self.app.query_one(ResourceView)

    # -- kinds ----------------------------------------------------------------------------------
    def prefetch(self) -> None:
        """Read discovery in a thread unless this connection's registry is already here."""
        bridge = self.bridge
        client = getattr(bridge, "api_client", None)
        if client is None or self._loading or (self.registry is not None and self._registry_client is client):
            return
        self._loading = True

        def work() -> None:
            from gotui.kube.kinds import discover

            try:
                reg, error = discover(client), ""
            except Exception as exc:  # noqa: BLE001 - shown, never raised into the UI
                from gotui.ops.kube_text import kube_error

                reg, error = None, kube_error(exc, what="discovery")
            self.app.call_from_thread(self._loaded, client, reg, error)

        self.app.run_worker(work, thread=True, exit_on_error=False, group="kinds", name="discovery")

    def _loaded(self, client: Any, reg: KindRegistry | None, error: str) -> None:
        self._loading = False
        pending, self._pending = self._pending, None
        if reg is None:
            if pending is not None:
                self.app.notify(f"cannot run :{safe_text(pending, 60)} — {error}", severity="error")
            return
        self.registry, self._registry_client = reg, client
        if pending is not None:
            self.run(pending)

    def complete(self, prefix: str) -> list[str]:
        """Command and kind names starting with `prefix` (shortest first)."""
        p = prefix.strip().lower()
        if not p:
            return []
        names = set(PANE_COMMANDS) | QUIT | CONTEXT | NAMESPACE | set(K9S_ALIASES)
        if self.registry is not None:
            names |= set(self.registry.names())
        return sorted((n for n in names if n.startswith(p)), key=lambda n: (len(n), n))

    # -- commands -------------------------------------------------------------------------------
    def run(self, text: str) -> None:
        """Run one `:` command (without the colon)."""
        words = text.split()
        if not words:
            self.refocus()
            return
        name, args = words[0].lower(), words[1:]
        if name in QUIT:
            self.app.call_later(self.app.run_action, "quit")
            return
        if name in CONTEXT:
            self._context(args)
            return
        if name in NAMESPACE and args:
            self._namespace(args[0])
            return
        if name in PANE_COMMANDS:
            self.show(f"pane:{PANE_COMMANDS[name]}")
            return
        bridge = self.bridge
        if bridge is None or bridge.api_client is None:
            if bridge is None or bridge.state in ("connecting", "reconnecting"):
                self._wait_for_cluster(text)  # typed before the connection was up: run it once it is
            else:
                self._error(f"not connected to a cluster ({bridge.detail}): cannot open :{text}")
            return
        if self.registry is None or self._registry_client is not bridge.api_client:
            self._pending = text  # runs when discovery answers
            self.prefetch()
            return
        kind = self.registry.lookup(name)
        if kind is None and self._rediscovered != text:
            # as kubectl: an unknown name reads discovery again once (a CRD established since)
            self._rediscovered, self._pending, self._registry_client = text, text, None
            self.prefetch()
            return
        self._rediscovered = None
        if kind is None:
            self._error(f"unknown resource or command: {name}")
            return
        if not kind.can("list"):
            self._error(f"{kind.group_resource} cannot be listed")
            return
        pane = PANE_COMMANDS.get(kind.group_resource) or PANE_COMMANDS.get(kind.resource)
        if pane and kind.group in ("", "autoscaling"):
            self.show(f"pane:{pane}")
            return
        self.show(f"kind:{kind.group_resource}")

    def _wait_for_cluster(self, text: str, waited: float = 0.0) -> None:
        bridge = self.bridge
        if bridge is not None and bridge.api_client is not None:
            self.run(text)
        elif waited >= CONNECT_WAIT or (bridge is not None and bridge.state == "error"):
            detail = f" ({bridge.detail})" if bridge is not None and bridge.detail else ""
            self._error(f"not connected to a cluster{detail}: cannot open :{text}")
        else:
            self.app.set_timer(0.2, lambda: self._wait_for_cluster(text, waited + 0.2), name="command-wait")

    def _error(self, message: str) -> None:
        self.app.notify(safe_text(message, 200), title="Command", severity="error", timeout=5)
        self.refocus()

    def _context(self, args: list[str]) -> None:
        bridge = self.bridge
        if not args:
            from gotui.ui.context_picker import open_context_picker

            open_context_picker(self.app)
            return
        from gotui.sources.kube_source import KubeConfigProblem, list_contexts

        try:
            names = [c.name for c in list_contexts(self.app.settings.kubeconfig)]
        except KubeConfigProblem as exc:
            self._error(str(exc))
            return
        if args[0] not in names:
            self._error(f"no context {args[0]!r} in the kubeconfig (it has: {', '.join(names)})")
            return
        if bridge is None:
            self._error("Kubernetes is not started yet")
            return
        if args[0] != bridge.context:
            self.registry = None
            bridge.switch(args[0], "")
        self.refocus()

    def _namespace(self, name: str) -> None:
        from gotui.ui.context_picker import valid_namespace

        bridge = self.bridge
        if bridge is None:
            self._error("Kubernetes is not started yet")
            return
        if name.lower() in ALL_NAMESPACES:
            bridge.switch(bridge.context, None)
        elif valid_namespace(name):
            bridge.switch(bridge.context, name)
        else:
            self._error(f"{name!r} is not a valid namespace name")
            return
        self.refocus()

    # -- views ----------------------------------------------------------------------------------
    def kind_of(self, view: str) -> Kind | None:
        if not view.startswith("kind:") or self.registry is None:
            return None
        return self.registry.kinds.get(view.removeprefix("kind:"))

    def show(self, view: str, *, record: bool = True) -> None:
        """Switch to `view` (focus moves at once, so keys typed next reach it)."""
        self._moving = True
        try:
            if view.startswith("pane:"):
                self.app.action_show_pane(view.removeprefix("pane:"))
                pane = self.app.pane(view.removeprefix("pane:"))
                for widget in pane.query(".pane-main"):
                    self.app.screen.set_focus(widget)
                    break
            else:
                kind = self.kind_of(view)
                if kind is None:
                    self._error(f"unknown view {view}")
                    return
                self.view.show_kind(kind)
                from gotui.ui.statusbar import PaneTabs

                self.app.query_one("#switcher", ContentSwitcher).current = self.view.id
                self.app.query_one(PaneTabs).active = ""
                self.app.screen.set_focus(self.view.table)
        finally:
            self._moving = False
        if record:
            self._record(view)

    def refocus(self) -> None:
        """Give the focus back to the current view's table."""
        switcher = self.app.query_one("#switcher", ContentSwitcher)
        current = switcher.current
        if current:
            for widget in switcher.get_child_by_id(current).query(".pane-main"):
                self.app.screen.set_focus(widget)
                return

    def back(self) -> None:
        if self.pos > 0:
            self.pos -= 1
            self.show(self.history[self.pos], record=False)
        else:
            self.app.notify("no earlier view", timeout=2)

    def forward(self) -> None:
        if self.pos < len(self.history) - 1:
            self.pos += 1
            self.show(self.history[self.pos], record=False)
        else:
            self.app.notify("no later view", timeout=2)

    def toggle_last(self) -> None:
        """`-`: the view before this one (pressed again, back here)."""
        if self.pos < 1:
            self.app.notify("no last view", timeout=2)
            return
        self.show(self.history[self.pos - 1])
