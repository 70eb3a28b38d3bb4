"""`describe` for any kind: the object's fields (metadata first, Secret values and secret-looking
values masked) and the Events about it, as inert text in a full-screen modal (Esc/q closes)."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from gotui.ops.kube_text import age
from gotui.ops.masking import mask_object
from gotui.ops.sanitize import safe_text
from gotui.ui.pod_details import events_section

MAX_LINES = 2000


def _walk(t: Text, value: Any, indent: int, lines: list[int]) -> None:
    pad = "  " * indent
    if isinstance(value, dict):
        for k, v in value.items():
            if lines[0] > MAX_LINES:
                return
            t.append(f"{pad}{safe_text(k, 120)}:", style="dim" if indent else "bold")
            if isinstance(v, (dict, list)) and v:
                t.append("\n")
                lines[0] += 1
                _walk(t, v, indent + 1, lines)
            else:
                t.append(" " + _scalar(v) + "\n")
                lines[0] += 1
    elif isinstance(value, list):
        for item in value:
            if lines[0] > MAX_LINES:
                return
            if isinstance(item, (dict, list)) and item:
                t.append(f"{pad}-\n", style="dim")
                lines[0] += 1
                _walk(t, item, indent + 1, lines)
            else:
                t.append(f"{pad}- {_scalar(item)}\n")
                lines[0] += 1


def _scalar(v: Any) -> str:
    if v is None:
        return "<none>"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (dict, list)):
        return "{}" if isinstance(v, dict) else "[]"
    return safe_text(v, 400)


def describe_object(obj: dict[str, Any], events: list[dict[str, Any]], now: float) -> Text:
    """A `kubectl describe`-like text of any object."""
    masked = mask_object(obj)
    meta = masked.get("metadata") or {}
    t = Text()
    t.append(f"{safe_text(masked.get('kind') or 'Object')} {safe_text(meta.get('name'))}\n", style="bold")

    def field(label: str, value: object) -> None:
        t.append(f"{label:<13}", style="dim")
        t.append(safe_text(value, 400) + "\n")

    if meta.get("namespace"):
        field("Namespace", meta.get("namespace"))
    field("API version", masked.get("apiVersion"))
    field("Created", f"{safe_text(meta.get('creationTimestamp'))} ({age(meta.get('creationTimestamp'), now)} ago)")
    labels = meta.get("labels") or {}
    field("Labels", ",".join(f"{k}={v}" for k, v in sorted(labels.items())) or "<none>")
    annotations = meta.get("annotations") or {}
    field("Annotations", "" if annotations else "<none>")
    for k, v in sorted(annotations.items()):
        t.append(f"  {safe_text(k, 120)}: ", style="dim")
        t.append(safe_text(v, 300) + "\n")
    owners = ", ".join(f"{r.get('kind')}/{r.get('name')}" for r in meta.get("ownerReferences") or [])
    if owners:
        field("Controlled by", owners)
    rest = {k: v for k, v in masked.items() if k not in ("metadata", "kind", "apiVersion")}
    if rest:
        t.append("\n")
        _walk(t, rest, 0, [0])
    events_section(t, events, now, 20)
    return t


class ResourceDescribeScreen(ModalScreen[None]):
    """`d`/Enter on a row of the generic view."""

    BINDINGS = [Binding("escape,q", "close", "Close", id="rdescribe.close")]

    def __init__(self, title: str, body: Text) -> None:
        super().__init__(classes="describe-screen")
        self.title_text = title
        self.body = body

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="describe-box"):
            yield Static(Text(f"{self.title_text}  (Esc/q closes)", style="bold", no_wrap=True, overflow="ellipsis"),
                         id="describe-title")
            yield Static(self.body, id="describe-body")

    def on_mount(self) -> None:
        self.query_one("#describe-box").focus()

    def body_text(self) -> str:
        return self.body.plain

    def action_close(self) -> None:
        self.dismiss(None)
