"""ConfirmModal: the one gate every destructive action passes.

`y` confirms, `n` and Escape cancel (Escape alone is unreliable under tmux), Cancel has the focus
when it opens. On a protected context the operator must type the target's name before `y` counts.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from gotui.ops.actions import Action
from gotui.ops.sanitize import safe_text


class ConfirmModal(ModalScreen[bool]):
    """Ask the operator to confirm `action`; dismisses with True only on confirmation."""

    BINDINGS = [
        Binding("y", "confirm", "Yes, do it", id="confirm.yes"),
        Binding("n", "cancel", "No", id="confirm.no"),
        Binding("escape", "cancel", "Cancel", show=False, id="confirm.escape"),
    ]

    def __init__(self, action: Action, *, typed_name_required: bool = False) -> None:
        super().__init__(classes="confirm-modal")
        self.action = action
        self.typed_name_required = typed_name_required

    def compose(self) -> ComposeResult:
        a = self.action
        with Vertical(id="confirm-box"):
            yield Static(Text(f"⚠ {a.verb.upper()} {a.kind}", style="bold"), id="confirm-title")
            facts = Text()
            facts.append("target     ", style="dim")
            facts.append(safe_text(a.target) + "\n", style="bold")
            if a.context is not None:
                facts.append("context    " if not a.is_docker else "docker     ", style="dim")
                facts.append(safe_text(a.context) + "\n")
            if a.namespace:
                facts.append("namespace  ", style="dim")
                facts.append(safe_text(a.namespace) + "\n")
            facts.append("reversible ", style="dim")
            facts.append(("yes" if a.reversible else "NO") + "\n")
            if a.detail:
                facts.append("\n")
                facts.append(safe_text(a.detail, 2000).replace(" ⏎ ", "\n"))
                facts.append("\n")
            yield Static(facts, id="confirm-facts")
            if a.preview:
                yield Static(Text("$ " + a.preview), id="confirm-preview")
            if self.typed_name_required:
                yield Static(
                    Text(f"Protected context: type {a.target!r} and press Enter to confirm."),
                    id="confirm-protected",
                )
                yield Input(placeholder=a.target, id="confirm-name")
            with Horizontal(id="confirm-buttons"):
                yield Button(Text("Cancel [n]"), id="confirm-cancel", variant="default")
                yield Button(Text("Confirm [y]"), id="confirm-ok", variant="error")

    def on_mount(self) -> None:
        self.query_one("#confirm-cancel", Button).focus()

    @property
    def name_ok(self) -> bool:
        if not self.typed_name_required:
            return True
        return self.query_one("#confirm-name", Input).value.strip() == self.action.target

    def action_confirm(self) -> None:
        if not self.name_ok:
            self.notify(
                f"Type the name {self.action.target!r} first: this context is protected.",
                severity="warning",
            )
            self.query_one("#confirm-name", Input).focus()
            return
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_confirm()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "confirm-ok":
            self.action_confirm()
        else:
            self.action_cancel()
