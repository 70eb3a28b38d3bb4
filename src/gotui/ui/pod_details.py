"""The describe-like details of a pod (containers, last termination, conditions, events) as rich Text,
and `DescribeScreen`, the full-screen, live version of it (`d` or Enter on a pod).

Every value from the cluster goes through `safe_text`; nothing is parsed as markup.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from gotui import clock
from gotui.ops.kube_text import age, parse_time
from gotui.ops.pod_describe import Line, describe_lines
from gotui.ops.pods import BAD, HEALTH_SYMBOL, HEALTH_WORD, OK, health, pod_status
from gotui.ops.sanitize import safe_text
from gotui.ui.messages import KubeChanged

if TYPE_CHECKING:
    from gotui.ui.kube_bridge import KubeBridge

HEALTH_STYLE = {OK: "green", "warn": "yellow", BAD: "bold red"}


def pod_events(events: list[dict], namespace: str, name: str, kind: str = "Pod") -> list[dict]:
    """Events about one object, newest last."""
    out = [
        e for e in events
        if (e.get("involvedObject") or {}).get("name") == name
        and (e.get("involvedObject") or {}).get("kind") == kind
        and ((e.get("involvedObject") or {}).get("namespace") or (e.get("metadata") or {}).get("namespace")) == namespace
    ]
    out.sort(key=lambda e: parse_time(e.get("lastTimestamp") or e.get("eventTime") or (e.get("metadata") or {}).get("creationTimestamp")) or 0)
    return out


def _state_text(state: dict) -> tuple[str, str]:
    if "running" in state:
        return "Running", f"since {safe_text((state['running'] or {}).get('startedAt'))}"
    if "waiting" in state:
        w = state["waiting"] or {}
        return "Waiting", safe_text(w.get("reason") or "") + (f": {safe_text(w.get('message'), 200)}" if w.get("message") else "")
    if "terminated" in state:
        t = state["terminated"] or {}
        return "Terminated", f"{safe_text(t.get('reason') or '')} (exit {t.get('exitCode')})"
    return "Unknown", ""


def kubectl_sections(lines: list[Line]) -> Text:
    """`describe_lines` laid out as kubectl does: `Label:` then the value, nested by two spaces."""
    t = Text()
    width = 0
    widths = _column_widths(lines)
    for i, (level, label, value) in enumerate(lines):
        pad = "  " * level
        if level == 0 and not label:
            t.append(" " * (width + 2) + safe_text(value, 300) + "\n")
            continue
        if not label:
            t.append(pad + safe_text(value, 300) + "\n")
            continue
        head = f"{pad}{safe_text(label)}:"
        if level == 0:
            width = max(len(head), 16)
            t.append(head, style="bold")
            t.append((" " * (width + 2 - len(head)) + safe_text(value, 300)) if value else "")
            t.append("\n")
        else:
            t.append(head, style="dim" if value else "bold" if level == 1 else "")
            t.append((" " * (widths[i] - len(head) + 2) + safe_text(value, 300)) if value else "")
            t.append("\n")
    return t


def _column_widths(lines: list[Line]) -> list[int]:
    """Per line, the label width of its run of siblings (same level, consecutive), as tabwriter aligns."""
    widths = [0] * len(lines)
    start = 0
    for i in range(len(lines) + 1):
        if i == len(lines) or (i > start and lines[i][0] != lines[start][0]) or not lines[i][1]:
            run = range(start, i)
            w = max((len("  " * lines[j][0] + safe_text(lines[j][1]) + ":") for j in run), default=0)
            for j in run:
                widths[j] = w
            start = i + 1 if i < len(lines) and not lines[i][1] else i
    return widths


def describe_pod(pod: dict, events: list[dict], now: float, *, full: bool = False) -> Text:
    """A `kubectl describe pod`-like summary; `full` adds every section of kubectl's (containers with
    resources, probes, env, mounts; volumes; QoS; node-selectors; tolerations)."""
    meta = pod.get("metadata") or {}
    spec = pod.get("spec") or {}
    status = pod.get("status") or {}
    ps = pod_status(pod)
    h = health(ps)
    t = Text()
    t.append(safe_text(meta.get("name")) + "\n", style="bold")
    t.append(f"{HEALTH_SYMBOL[h]} {ps.reason} ({HEALTH_WORD[h]})\n", style=HEALTH_STYLE[h])

    def field(label: str, value: object) -> None:
        t.append(f"{label:<11}", style="dim")
        t.append(safe_text(value, 300) + "\n")

    field("Namespace", meta.get("namespace"))
    field("Node", spec.get("nodeName") or "<none>")
    field("IP", status.get("podIP") or "<none>")
    field("Age", age(meta.get("creationTimestamp"), now))
    field("Ready", ps.ready_text)
    field("Restarts", ps.restarts_text(now))
    owners = ", ".join(f"{r.get('kind')}/{r.get('name')}" for r in meta.get("ownerReferences") or [])
    field("Owner", owners or "<none>")
    labels = meta.get("labels") or {}
    if labels:
        field("Labels", ",".join(f"{k}={v}" for k, v in sorted(labels.items())))
    if full:
        t.append("\n")
        t.append_text(kubectl_sections(describe_lines(pod)))
        events_section(t, events, now, 50)
        return t
    statuses = {c.get("name"): c for c in (status.get("initContainerStatuses") or []) + (status.get("containerStatuses") or [])}
    t.append("\nContainers\n", style="bold underline")
    for c in (spec.get("initContainers") or []) + (spec.get("containers") or []):
        cs = statuses.get(c.get("name")) or {}
        state, extra = _state_text(cs.get("state") or {})
        ok = cs.get("ready")
        t.append(("✓ " if ok else "✗ ") + safe_text(c.get("name")), style="green" if ok else "yellow")
        t.append(f"  {state} {extra}\n")
        t.append("    image ", style="dim")
        t.append(safe_text(c.get("image")) + "\n")
        t.append("    restarts ", style="dim")
        t.append(str(cs.get("restartCount", 0)))
        last = (cs.get("lastState") or {}).get("terminated")
        if last:
            t.append("  last: ", style="dim")
            t.append(f"{safe_text(last.get('reason'))} (exit {last.get('exitCode')}) {age(last.get('finishedAt'), now)} ago", style="red")
        t.append("\n")
    conds = status.get("conditions") or []
    if conds:
        t.append("\nConditions\n", style="bold underline")
        for c in conds:
            ok = c.get("status") == "True"
            t.append(f"{'✓' if ok else '✗'} {safe_text(c.get('type')):<16}", style="green" if ok else "yellow")
            t.append(f" {safe_text(c.get('status'))}")
            if c.get("reason"):
                t.append(f" {safe_text(c.get('reason'))}", style="dim")
            t.append("\n")
    events_section(t, events, now, 15)
    return t


def events_section(t: Text, events: list[dict], now: float, limit: int) -> None:
    """The Events section, oldest first as kubectl lists it; Warning rows marked `!`."""
    t.append("\nEvents\n", style="bold underline")
    if not events:
        t.append("<none>\n", style="dim")
    for e in events[-limit:]:
        warn = e.get("type") == "Warning"
        when = age(e.get("lastTimestamp") or e.get("eventTime") or (e.get("metadata") or {}).get("creationTimestamp"), now)
        t.append(f"{when:>5} ", style="dim")
        t.append(("! " if warn else "  ") + safe_text(e.get("reason")), style="yellow" if warn else "")
        count = e.get("count") or 1
        if count > 1:
            t.append(f" (x{count})", style="dim")
        t.append(": " + safe_text(e.get("message"), 300) + "\n")


class DescribeScreen(ModalScreen[None]):
    """A pod's describe, full screen and scrollable, redrawn as the pod and its events change.

    At 80x24 the details area under the table shows only the first lines; this shows everything
    (containers, last termination, conditions, events). Escape or q closes.
    """

    BINDINGS = [
        Binding("escape,q", "close", "Close", id="describe.close"),
        Binding("y", "yaml", "YAML", id="describe.yaml"),
    ]

    def __init__(self, bridge: KubeBridge, namespace: str, name: str) -> None:
        super().__init__(classes="describe-screen")
        self.bridge = bridge
        self.namespace = namespace
        self.name_ = name
        self._text = Text()
        self._spec: dict | None = None  # the whole spec, fetched once (the cache keeps pods trimmed)
        self._spec_uid: str | None = None
        self._note = ""

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="describe-box"):
            yield Static(Text(f"describe pod {safe_text(self.namespace)}/{safe_text(self.name_)}  (Esc/q closes · y YAML)",
                              style="bold", no_wrap=True, overflow="ellipsis"), id="describe-title")
            yield Static(id="describe-body")

    def on_mount(self) -> None:
        self.bridge.listeners.append(self)
        self.redraw()
        self.query_one("#describe-box").focus()
        self._fetch_spec()

    def _fetch_spec(self) -> None:
        """Read the whole pod in a worker: its spec (resources, probes, env, volumes...) is not cached."""
        client, ns, name = self.bridge.api_client, self.namespace, self.name_
        if client is None:
            self._note = "not connected: resources, probes, env and volumes are not shown"
            return

        def fetch() -> None:
            from gotui.ops.kube_text import kube_error
            from gotui.sources.kube_source import read_object

            try:
                full, note = read_object(client, "pods", ns, name), ""
            except Exception as exc:  # noqa: BLE001 - shown, never raised into the UI
                full, note = None, f"{kube_error(exc)}: resources, probes, env and volumes are not shown"
            self.app.call_from_thread(self._got_spec, full, note)

        self.run_worker(fetch, thread=True, exit_on_error=False, group="describe-spec", exclusive=True, name="pod spec")

    def _got_spec(self, full: dict | None, note: str) -> None:
        if full is not None:
            self._spec = full.get("spec") or {}
            self._spec_uid = (full.get("metadata") or {}).get("uid")
        self._note = note
        if self.is_attached:
            self.redraw()

    def on_unmount(self) -> None:
        if self in self.bridge.listeners:
            self.bridge.listeners.remove(self)

    def on_kube_changed(self, message: KubeChanged) -> None:
        if {"pods", "events"} & message.kinds:
            self.redraw()

    def redraw(self) -> None:
        store = self.bridge.store
        pod = store.get("pods", self.namespace, self.name_)
        if pod is None:
            self._text = Text(f"pod {self.namespace}/{self.name_} is gone (deleted or replaced)", style="yellow")
        else:
            evs = pod_events(store.list("events", self.namespace), self.namespace, self.name_)
            if self._spec is not None and (pod.get("metadata") or {}).get("uid") == self._spec_uid:
                cached = pod.get("spec") or {}
                spec = {**self._spec, **({"nodeName": cached["nodeName"]} if cached.get("nodeName") else {})}
                pod = {**pod, "spec": spec}  # live status, whole spec
            self._text = describe_pod(pod, evs, clock.timestamp(), full=True)
            if self._note:
                self._text.append(f"\n{self._note}\n", style="yellow")
        self.query_one("#describe-body", Static).update(self._text)

    def body_text(self) -> str:
        """The plain text shown (for tests)."""
        return self._text.plain

    def action_yaml(self) -> None:
        from gotui.ui.panes.pods import PodsPane

        pane = next(iter(self.app.query(PodsPane)), None)
        pod = self.bridge.store.get("pods", self.namespace, self.name_)
        if pane is not None and pod is not None:
            pane.fetch_yaml(pod)

    def action_close(self) -> None:
        self.dismiss(None)
