"""A full-screen, read-only YAML view of one object (Secret data masked), shown as inert text."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from gotui.ops.masking import mask_object as mask_secrets
from gotui.ops.sanitize import sanitize_lines


def to_yaml(obj: dict) -> str:
    """The object as block YAML with Secret values masked (managedFields dropped, as kubectl does)."""
    import yaml

    data = mask_secrets(obj)
    (data.get("metadata") or {}).pop("managedFields", None)
    return yaml.safe_dump(data, sort_keys=False, default_flow_style=False, allow_unicode=True, width=200)


class YamlScreen(ModalScreen[None]):
    """`y` on a row: the object's YAML; Escape or q closes."""

    BINDINGS = [
        Binding("escape,q", "close", "Close", id="yaml.close"),
    ]

    def __init__(self, obj: dict) -> None:
        super().__init__(classes="yaml-screen")
        self.obj = obj

    def compose(self) -> ComposeResult:
        meta = self.obj.get("metadata") or {}
        title = f"{self.obj.get('kind', 'object')} {meta.get('namespace', '')}/{meta.get('name', '')}  (Esc/q closes)"
        text = Text("\n".join(sanitize_lines(to_yaml(self.obj))))
        with VerticalScroll(id="yaml-box"):
            yield Static(Text(title, style="bold"), id="yaml-title")
            yield Static(text, id="yaml-body")

    def on_mount(self) -> None:
        self.query_one("#yaml-box").focus()

    def action_close(self) -> None:
        self.dismiss(None)
