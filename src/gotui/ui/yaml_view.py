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


def reveal_secret(obj: dict) -> dict:
    """A copy of a Secret with its `data` decoded from base64 (text when it is UTF-8), as k9s's `x`."""
    import base64
    import binascii
    import copy

    out = copy.deepcopy(obj)
    data = out.get("data")
    if isinstance(data, dict):
        for key, value in data.items():
            try:
                data[key] = base64.b64decode(str(value), validate=True).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError, ValueError):
                pass  # binary: left base64
    return out


def to_yaml(obj: dict, *, reveal: bool = False) -> str:
    """The object as block YAML with Secret values masked (managedFields dropped, as kubectl does);
    `reveal` shows a Secret's data decoded instead (only on the operator's explicit request)."""
    import yaml

    data = reveal_secret(obj) if reveal else mask_secrets(obj)
    (data.get("metadata") or {}).pop("managedFields", None)
    return yaml.safe_dump(data, sort_keys=False, default_flow_style=False, allow_unicode=True, width=200)


class YamlScreen(ModalScreen[None]):
    """`y` on a row: the object's YAML; Escape or q closes. A Secret's values stay masked until `x`."""

    BINDINGS = [
        Binding("escape,q", "close", "Close", id="yaml.close"),
        Binding("x", "reveal", "Reveal/mask secret", id="yaml.reveal"),
    ]

    def __init__(self, obj: dict) -> None:
        super().__init__(classes="yaml-screen")
        self.obj = obj
        self.revealed = False

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "reveal":
            return self.obj.get("kind") == "Secret"
        return True

    def action_reveal(self) -> None:
        self.revealed = not self.revealed
        self.query_one("#yaml-body", Static).update(Text("\n".join(sanitize_lines(to_yaml(self.obj, reveal=self.revealed)))))
        self.notify("secret values shown" if self.revealed else "secret values masked", timeout=2)

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
