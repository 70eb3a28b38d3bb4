"""The pod logs screen: follow with a tail, previous container, container picker, and all pods of the
owning Deployment merged (a colour and a name prefix per pod, new pods picked up as they appear).

Built on the shared bounded LogView (ring buffer, pause with count, search n/N, wrap, timestamps,
save). Streams run in threads (gotui.sources.kube_logs) and hand lines over with the thread-safe
`queue_lines`; drops and resumes appear as marker lines, except when the container crashed and
restarted: then one `container <name> restarted (restart #N)` mark (gotui.ops.log_restarts). A key
line under the title shows the pod-specific keys (the footer cuts them at 80 columns); `?` lists
every key. All text is sanitized by the LogView.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Static

from gotui.ops.log_range import log_range
from gotui.ops.log_restarts import RestartTracker, container_snapshot
from gotui.ops.pods import by_name, owning_deployment
from gotui.ops.sanitize import safe_text
from gotui.ops.selectors import match_labels_selector, selector_matches
from gotui.sources.kube_logs import PodLogStream, StreamSet, pick_container
from gotui.ui.help import HelpScreen, binding_rows
from gotui.ui.logview import MARK, LogLines, LogView, range_bindings
from gotui.ui.messages import KubeChanged

if TYPE_CHECKING:
    from gotui.ui.kube_bridge import KubeBridge

KEY_HINT = (("P", "previous"), ("C", "container"), ("m", "all pods"), ("0-6", "range"), ("/", "search"), ("?", "keys"),
            ("esc", "back"))
POD_COLOURS = ("cyan", "magenta", "green", "yellow", "blue", "bright_cyan", "bright_magenta", "bright_green")


class PodLogsScreen(Screen[None]):
    """Logs of one pod (or of every pod of its Deployment with `m`)."""

    BINDINGS = [
        Binding("escape,q", "close", "Back", id="podlogs.close"),
        Binding("P", "toggle_previous", "Previous", id="podlogs.previous"),
        Binding("C", "next_container", "Container", id="podlogs.container"),
        Binding("m", "toggle_merged", "All pods", id="podlogs.merged"),
        Binding("question_mark", "help", "Keys", id="podlogs.help"),
        *range_bindings("podlogs"),
    ]

    def __init__(self, bridge: KubeBridge, pod: dict, *, merged: bool = False) -> None:
        super().__init__(classes="pod-logs-screen")
        self.bridge = bridge
        meta = pod.get("metadata") or {}
        self.namespace = meta.get("namespace") or ""
        self.pod_name = meta.get("name") or ""
        self.pod = pod
        self.containers = [c.get("name") for c in (pod.get("spec") or {}).get("containers") or []]
        self.container = pick_container(pod)
        self.previous = False
        self.merged = merged
        self.deployment: str | None = None
        self.streams: StreamSet | None = None
        self._colours: dict[str, str] = {}
        self._colour_cycle = itertools.cycle(POD_COLOURS)
        self.trackers: dict[str, RestartTracker] = {}
        self._note = ""

    def compose(self) -> ComposeResult:
        yield Static(id="podlogs-title")
        yield Static(self._key_hint(), id="podlogs-keys")
        yield LogView(max_lines=self.app.settings.log_buffer_lines, name_hint=self.pod_name, id="podlogs-view")  # type: ignore[attr-defined]
        yield Footer()

    @property
    def view(self) -> LogView:
        return self.query_one(LogView)

    def on_mount(self) -> None:
        settings = self.app.settings  # type: ignore[attr-defined]
        self.range = log_range("0", settings.log_tail_lines, settings.log_buffer_lines)
        self.bridge.listeners.append(self)
        self.deployment = owning_deployment(self.pod, by_name(self.bridge.store.list("replicasets", self.namespace)))
        self._restart_streams()
        self.view.focus_lines()
        self.set_interval(0.5, self._check_restarts, name="podlogs-restarts")

    def on_unmount(self) -> None:
        if self in self.bridge.listeners:
            self.bridge.listeners.remove(self)
        self._stop_streams()

    @staticmethod
    def _key_hint() -> Text:
        t = Text(no_wrap=True, overflow="ellipsis")
        for i, (key, what) in enumerate(KEY_HINT):
            if i:
                t.append(" · ", style="dim")
            t.append(key, style="bold")
            t.append(f" {what}")
        return t

    # -- streams -------------------------------------------------------------------------------
    def _title(self) -> None:
        t = Text(no_wrap=True, overflow="ellipsis")
        t.append(" logs ", style="bold reverse")
        if self.merged and self.deployment:
            t.append(f" deployment {safe_text(self.deployment)} (all pods)", style="bold")
        else:
            t.append(f" {safe_text(self.pod_name)}", style="bold")
        t.append(f"  container {safe_text(self.container or '-')}")
        if self.previous:
            t.append("  PREVIOUS", style="bold yellow")
        t.append(f"  ns {safe_text(self.namespace)}", style="dim")
        self.query_one("#podlogs-title", Static).update(t)

    def _stop_streams(self) -> None:
        if self.streams is not None:
            self.streams.stop()
            self.streams = None

    def _factory(self, pod_name: str) -> PodLogStream:
        view = self.view
        merged = self.merged
        colour = self._colour(pod_name) if merged else None
        prefix = self._short(pod_name)

        container = self.container
        if merged:
            pod = self.bridge.store.get("pods", self.namespace, pod_name) or self.pod
            container = pick_container(pod, self.container)
        tracker: RestartTracker | None = None
        if not self.previous and container:
            store, ns = self.bridge.store, self.namespace
            tracker = RestartTracker(
                container, lambda text: view.queue_lines([text], style=MARK),
                lambda: container_snapshot(store.get("pods", ns, pod_name), container),
                label=prefix if merged else "",
            )
            self.trackers[pod_name] = tracker

        def on_lines(lines: list[str]) -> None:
            if tracker is not None:
                tracker.before_lines()
            if merged:
                out = []
                for line in lines:
                    ts, sep, rest = line.partition(" ")
                    if sep and ts[:4].isdigit():
                        out.append(f"{ts} {prefix} │ {rest}")
                    else:
                        out.append(f"{prefix} │ {line}")
                view.queue_lines(out, style=colour)
            else:
                view.queue_lines(lines)

        def on_mark(text: str) -> None:
            if tracker is not None:
                tracker.on_mark(text)
            else:
                view.queue_lines([text], style=MARK)

        return PodLogStream(
            self.bridge.api_client, self.namespace, pod_name, container,
            on_lines=on_lines, on_mark=on_mark,
            tail_lines=self.range.tail, since_seconds=self.range.since_seconds,
            follow=not self.previous, previous=self.previous,
        )

    def _colour(self, pod_name: str) -> str:
        if pod_name not in self._colours:
            self._colours[pod_name] = next(self._colour_cycle)
        return self._colours[pod_name]

    def _short(self, pod_name: str) -> str:
        if self.deployment and pod_name.startswith(self.deployment + "-"):
            return pod_name[len(self.deployment) + 1:]
        return pod_name

    def _deployment_pods(self) -> list[str]:
        dep = self.bridge.store.get("deployments", self.namespace, self.deployment or "")
        if dep is None:
            return [self.pod_name]
        reqs = match_labels_selector((dep.get("spec") or {}).get("selector"))
        names: list[str] = []
        for pod in self.bridge.store.list("pods", self.namespace):
            meta = pod.get("metadata") or {}
            if reqs and selector_matches(reqs, meta.get("labels")) and not meta.get("deletionTimestamp"):
                names.append(meta.get("name") or "")
        return sorted(names)

    def _restart_streams(self) -> None:
        self._stop_streams()
        self.trackers = {}
        self.view.clear()
        self._title()
        self.streams = StreamSet(self._factory)
        pods = self._deployment_pods() if (self.merged and self.deployment) else [self.pod_name]
        self.streams.sync(pods)
        what = f"previous container ({self.range.label})" if self.previous else f"following ({self.range.label})"
        self._set_note(what + (f", {len(pods)} pods" if self.merged else ""))

    def _set_note(self, note: str) -> None:
        self._note = note
        self.view.set_note(note)

    def _check_restarts(self) -> None:
        """Let each tracker re-read its pod's status; say so while a container is down."""
        notes = [n for n in (t.check() for t in list(self.trackers.values())) if n]
        note = notes[0] if len(notes) == 1 else (f"{len(notes)} containers down, waiting for restarts" if notes else self._note)
        if note != self.view.state_note:
            self.view.set_note(note)

    def on_kube_changed(self, message: KubeChanged) -> None:
        if "pods" in message.kinds and self.trackers:
            self._check_restarts()
        if self.merged and self.deployment and self.streams is not None and "pods" in message.kinds:
            started = self.streams.sync(self._deployment_pods())
            for name in started:
                self.view.queue_lines([f"new pod {name}: following"], style=MARK)
            if started:
                self._set_note(f"following {len(self.streams.streams)} pods")

    # -- actions -------------------------------------------------------------------------------
    def action_close(self) -> None:
        self._stop_streams()
        self.app.pop_screen()

    def action_toggle_previous(self) -> None:
        self.previous = not self.previous
        self._restart_streams()

    def action_next_container(self) -> None:
        if len(self.containers) < 2:
            self.notify("This pod has one container.", timeout=3)
            return
        i = self.containers.index(self.container) if self.container in self.containers else -1
        self.container = self.containers[(i + 1) % len(self.containers)]
        self._restart_streams()

    def action_toggle_merged(self) -> None:
        if not self.deployment:
            self.notify("This pod is not owned by a Deployment.", severity="warning")
            return
        self.merged = not self.merged
        self._restart_streams()

    def action_log_range(self, key: str) -> None:
        """`0` the tail, `1` all the ring buffer holds, `2`-`6` the last 1m/5m/15m/30m/1h: reload."""
        settings = self.app.settings  # type: ignore[attr-defined]
        self.range = log_range(key, settings.log_tail_lines, settings.log_buffer_lines)
        self._restart_streams()

    def action_help(self) -> None:
        """Every key of this screen: the pod-specific ones first, then the log view's."""
        log_keys = binding_rows(list(LogView.BINDINGS)) + binding_rows(list(LogLines.BINDINGS))
        self.app.push_screen(HelpScreen([("Pod logs", binding_rows(list(self.BINDINGS))), ("Log view", log_keys)]))

    def streams_info(self) -> dict[str, Any]:
        """For tests: the followed pods and their counters."""
        if self.streams is None:
            return {}
        return {name: (s.lines_read, s.drops) for name, s in self.streams.streams.items()}
