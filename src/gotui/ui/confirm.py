"""ConfirmModal: the dialog every destructive action passes; QuitWhileRunning: quitting mid-action.

The dialog is pushed in the key handler itself, so keys typed ahead (one read over SSH) reach it.
`y` confirms, `n`, `q` and Escape cancel (Escape alone is unreliable under tmux), Cancel has the focus
when it opens (Enter cancels), Tab / Shift+Tab move between the buttons. On a protected context the
operator must type the target's name before `y` counts. When given a `permission` check (RBAC), the
dialog runs it in a worker while it shows "checking permission…": a `y` typed meanwhile is kept and
counts once permission is granted; a denial turns the dialog into the refusal (Confirm disabled).
An edit's diff (`params["diff"]`) shows as text at the top of the body. The body scrolls (PageUp/PageDown) so the buttons and the name input stay on screen down to 60x20.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from gotui.ops.actions import Action
from gotui.ops.errors import describe_error
from gotui.ops.sanitize import safe_text

CHECKING = "checking permission…"
PREPARING = "looking up what this would change…"


def diff_text(lines: list[str]) -> Text:
    """Unified-diff lines (already sanitized) as inert Text: `+` green, `-` red, `@@` dim."""
    out = Text(no_wrap=False)
    for line in lines:
        style = ("bold" if line[:3] in ("+++", "---") else "green" if line.startswith("+")
                 else "red" if line.startswith("-") else "dim" if line.startswith("@@") else "")
        out.append(safe_text(line, 300) + "\n", style=style)
    return out


class _Body(VerticalScroll, can_focus=False):
    """The dialog's facts: scrolls with PageUp / PageDown from the dialog, never takes the focus."""


def _lines(text: str, width: int) -> int:
    return sum(max(1, -(-len(line) // max(1, width))) for line in text.split("\n"))


def fit_body(screen: ModalScreen) -> None:  # type: ignore[type-arg]
    """Cap `#confirm-body`'s height at what `#confirm-box` leaves on `screen` after its other parts
    (title, notes, name input, buttons), so those are always on screen, down to 60x20."""
    try:
        box = screen.query_one("#confirm-box")
        body = screen.query_one("#confirm-body", _Body)
    except Exception:  # noqa: BLE001 - not composed yet, or already closing
        return
    inner = min(76, screen.size.width) - 4  # border and padding
    used = 2  # the box's border
    for child in box.children:
        if child is body or not child.display:
            continue
        if isinstance(child, Static):
            used += _lines(str(child.render()), inner) + child.styles.margin.top
        else:  # the name input and the button row: 3 rows each, plus their margin
            used += 3 + child.styles.margin.top
    room = max(2, screen.size.height - used)
    if body.styles.max_height is None or body.styles.max_height.value != room:
        body.styles.max_height = room


class ConfirmModal(ModalScreen[bool]):
    """Ask the operator to confirm `action`; dismisses with True only on confirmation."""

    BINDINGS = [
        Binding("y", "confirm", "Yes, do it", id="confirm.yes"),
        Binding("n", "cancel", "No", id="confirm.no"),
        Binding("q", "cancel", "Cancel", show=False, id="confirm.quit"),
        Binding("escape", "cancel", "Cancel", show=False, id="confirm.escape"),
        Binding("pageup", "scroll_body(-1)", "Scroll", show=False, id="confirm.pageup"),
        Binding("pagedown", "scroll_body(1)", "Scroll", show=False, id="confirm.pagedown"),
    ]

    def __init__(
        self,
        action: Action,
        *,
        typed_name_required: bool = False,
        permission: Callable[[Action], str | None] | None = None,
        prepare: Callable[[], Action] | None = None,
    ) -> None:
        super().__init__(classes="confirm-modal")
        self.action = action
        self.typed_name_required = typed_name_required
        self.permission = permission
        self.prepare = prepare  # run first, in a thread: the final Action (counts, sizes), or raises why not
        self.checking = permission is not None or prepare is not None
        self.denied_reason: str | None = None  # set when the permission check (or `prepare`) said no
        self.unavailable = False  # `prepare` found nothing to do or failed: closing is a cancel, not a refusal
        self.answered = False
        self._confirm_when_checked = False

    # -- layout ---------------------------------------------------------------------------------
    def _facts(self) -> Text:
        a = self.action
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
        return facts

    def compose(self) -> ComposeResult:
        a = self.action
        with Vertical(id="confirm-box"):
            yield Static(Text(f"⚠ {a.verb.upper()} {a.kind}", style="bold"), id="confirm-title")
            with _Body(id="confirm-body"):
                diff = a.params.get("diff")
                if diff:  # what an edit changes comes first: it is what is being confirmed
                    yield Static(diff_text(diff), id="confirm-diff")
                yield Static(self._facts(), id="confirm-facts")
                if a.preview:
                    yield Static(Text("$ " + safe_text(a.preview, 2000)), id="confirm-preview")
            status = Static(Text((PREPARING if self.prepare else CHECKING) if self.checking else ""),
                            id="confirm-permission")
            status.display = self.checking
            yield status
            if self.typed_name_required:
                yield Static(
                    Text(f"Protected context: type {safe_text(a.target)!r} and press Enter to confirm."),
                    id="confirm-protected",
                )
                yield Input(placeholder=safe_text(a.target), id="confirm-name")
            with Horizontal(id="confirm-buttons"):
                yield Button(Text("Cancel [n]"), id="confirm-cancel", variant="default")
                yield Button(Text("Confirm [y]"), id="confirm-ok", variant="error", disabled=self.checking)

    def on_mount(self) -> None:
        if self.focused is None:
            self.set_focus(self.query_one("#confirm-cancel", Button))
        self.fit_body()
        if self.checking:
            self.run_worker(self._checks(), exit_on_error=False, group="confirm-permission")

    def on_resize(self) -> None:
        self.fit_body()

    def fit_body(self) -> None:
        """Give the scrolling body what the screen has left once the title, notes, name input and
        buttons are placed, so those are always on screen."""
        fit_body(self)

    # -- permission (RBAC), checked while the dialog is open ------------------------------------
    async def _checks(self) -> None:
        if self.prepare is not None:
            try:
                action = await asyncio.to_thread(self.prepare)
            except Exception as exc:  # noqa: BLE001 - shown in the dialog, which can only be closed
                self.unavailable = True
                self.permission_checked(describe_error(exc))
                return
            if self.answered:
                return
            self.action = action  # the Action confirmed is the one run and audited
            self.query_one("#confirm-facts", Static).update(self._facts())
            self.fit_body()
        if self.permission is None:
            self.permission_checked(None)
            return
        try:
            reason = await asyncio.to_thread(self.permission, self.action)
            note = ""
        except Exception as exc:  # noqa: BLE001 - an unanswered check leaves the API server to decide
            reason, note = None, f"permission not checked: {describe_error(exc)}"
        self.permission_checked(reason, note)

    def permission_checked(self, reason: str | None, note: str = "") -> None:
        """The permission check answered: `reason` when denied, else None."""
        if self.answered:
            return
        self.checking = False
        status = self.query_one("#confirm-permission", Static)
        ok = self.query_one("#confirm-ok", Button)
        if reason:
            self.denied_reason = reason
            self.add_class("-denied")
            title = "✗ NOTHING TO DO" if self.unavailable else "✗ NOT ALLOWED"
            self.query_one("#confirm-title", Static).update(
                Text(f"{title}: {self.action.verb} {self.action.kind}", style="bold"))
            status.update(Text(safe_text(reason) + "  (n / Esc / Enter closes)"))
            status.display = True
            self.fit_body()
            if self.focused is ok:
                self.set_focus(self.query_one("#confirm-cancel", Button))
            return
        ok.disabled = False
        status.update(Text(note))
        status.display = bool(note)
        if self._confirm_when_checked:
            self.action_confirm()

    # -- answers --------------------------------------------------------------------------------
    @property
    def name_ok(self) -> bool:
        if not self.typed_name_required:
            return True
        return self.query_one("#confirm-name", Input).value.strip() == self.action.target

    def action_confirm(self) -> None:
        if self.answered:
            return
        if self.denied_reason:
            self.app.bell()
            return
        if not self.name_ok:
            self.notify(
                f"Type the name {self.action.target!r} first: this context is protected.",
                severity="warning",
                markup=False,
            )
            self.set_focus(self.query_one("#confirm-name", Input))
            return
        if self.checking:
            self._confirm_when_checked = True
            self.query_one("#confirm-permission", Static).update(Text(CHECKING + " (confirmed: runs once allowed)"))
            return
        self.answered = True
        self.dismiss(True)

    def action_cancel(self) -> None:
        if self.answered:
            return
        self.answered = True
        self.dismiss(False)

    def action_scroll_body(self, pages: int) -> None:
        body = self.query_one("#confirm-body", _Body)
        if pages < 0:
            body.scroll_page_up(animate=False)
        else:
            body.scroll_page_down(animate=False)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_confirm()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "confirm-ok":
            self.action_confirm()
        else:
            self.action_cancel()


class QuitWhileRunning(ModalScreen[bool]):
    """Asked when quitting while an action runs: `y` quits once it has finished (and is audited)."""

    BINDINGS = [
        Binding("y", "answer(True)", "Quit when done", id="quitwait.yes"),
        Binding("n,q,escape", "answer(False)", "Stay", id="quitwait.no"),
    ]

    def __init__(self, running: list[str]) -> None:
        super().__init__(classes="confirm-modal")
        self.running = running

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-box"):
            yield Static(Text("Quit while an action runs?", style="bold"), id="confirm-title")
            body = Text("Running now:\n")
            for title in self.running:
                body.append(f"  {safe_text(title)}\n")
            body.append("\ny: quit as soon as it has finished and its audit line is written\nn: stay")
            with _Body(id="confirm-body"):
                yield Static(body, id="confirm-facts")
            with Horizontal(id="confirm-buttons"):
                yield Button(Text("Stay [n]"), id="confirm-cancel", variant="default")
                yield Button(Text("Quit when done [y]"), id="confirm-ok", variant="warning")

    def on_mount(self) -> None:
        if self.focused is None:
            self.set_focus(self.query_one("#confirm-cancel", Button))
        fit_body(self)

    answered = False

    def action_answer(self, yes: bool) -> None:
        if not self.answered:
            self.answered = True
            self.dismiss(yes)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_answer(event.button.id == "confirm-ok")
