"""Context and namespace pickers (a filter input over an OptionList, in a modal), k9s-like: type to
filter, Up/Down to move, Enter to pick; the current choice is marked ●. The namespace picker also
takes a typed name that is not listed (a namespaced user often cannot list namespaces: 403).
The choice is remembered by the bridge and offered on the next start (marked "last used" here), never
used silently: a start follows the kubeconfig's current context unless --context says otherwise."""

from __future__ import annotations

import re
from typing import Any

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from gotui.ops.kube_text import kube_error as describe_error
from gotui.ops.sanitize import safe_text

ALL_NAMESPACES = "\x00all"
CURRENT_MARK = "● "
LAST_USED = "  · last used"
_DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\Z")


def valid_namespace(name: str) -> bool:
    """True when `name` is a valid namespace name (an RFC 1123 DNS label)."""
    return bool(_DNS_LABEL.match(name))


class PickerScreen(ModalScreen[str | None]):
    """Pick one of `choices` (value, label) or, with `free_text`, type a value; Escape cancels.

    The first choice whose value is in `pinned` stays on top whatever the filter (e.g. "all
    namespaces"). `note` is shown under the title (e.g. why the list is incomplete)."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="picker.cancel"),
        Binding("down", "move(1)", "Down", show=False),
        Binding("up", "move(-1)", "Up", show=False),
        Binding("pagedown", "move(10)", "Page down", show=False),
        Binding("pageup", "move(-10)", "Page up", show=False),
    ]

    def __init__(self, title: str, choices: list[tuple[str, str]], current: str | None = None, *,
                 free_text: bool = False, pinned: tuple[str, ...] = (), note: str = "",
                 placeholder: str = "type to filter") -> None:
        super().__init__(classes="picker-screen")
        self.title_text = title
        self.choices = choices
        self.current = current
        self.free_text = free_text
        self.pinned = pinned
        self.note = note
        self.placeholder = placeholder
        self.shown: list[int] = list(range(len(choices)))  # indexes into choices, as listed

    def compose(self) -> ComposeResult:
        with Vertical(id="picker-box"):
            yield Static(Text(self.title_text, style="bold"), id="picker-title")
            yield Input(placeholder=self.placeholder, id="picker-input")
            yield Static(Text(self.note, style="yellow") if self.note else "", id="picker-note")
            yield OptionList(id="picker-list")

    @property
    def option_list(self) -> OptionList:
        return self.query_one("#picker-list", OptionList)

    @property
    def input(self) -> Input:
        return self.query_one("#picker-input", Input)

    def on_mount(self) -> None:
        self.query_one("#picker-note", Static).display = bool(self.note)
        self._refilter("")
        for pos, i in enumerate(self.shown):
            if self.choices[i][0] == self.current:
                self.option_list.highlighted = pos
        self.input.focus()

    # -- filtering -------------------------------------------------------------------------------
    def _label(self, i: int) -> Text:
        value, label = self.choices[i]
        text = Text(no_wrap=True, overflow="ellipsis")
        if value == self.current:
            text.append(CURRENT_MARK, style="bold")
            text.append(label, style="bold")
        else:
            text.append("  " + label)
        return text

    def _refilter(self, typed: str) -> None:
        term = typed.strip().lower()
        pinned = [i for i, (v, _) in enumerate(self.choices) if v in self.pinned]
        rest = [i for i, (v, label) in enumerate(self.choices)
                if v not in self.pinned and (not term or term in label.lower() or term in v.lower())]
        self.shown = pinned + rest
        lst = self.option_list
        lst.clear_options()
        lst.add_options([Option(self._label(i), id=str(i)) for i in self.shown])
        if term and rest:
            # the best match: an exact one, else one that starts with the text, else the first
            exact = next((p for p, i in enumerate(self.shown) if self.choices[i][0].lower() == term), None)
            starts = next((p for p, i in enumerate(self.shown) if i in rest and self.choices[i][0].lower().startswith(term)), None)
            lst.highlighted = exact if exact is not None else (starts if starts is not None else len(pinned))
        elif self.shown:
            lst.highlighted = 0
        self._show_hint(typed, bool(rest))

    def _show_hint(self, typed: str, matched: bool) -> None:
        note = self.query_one("#picker-note", Static)
        name = typed.strip()
        if self.free_text and name and not matched:
            if valid_namespace(name):
                msg = Text(f"{name!r} is not in the list — Enter uses it anyway", style="yellow")
            else:
                msg = Text(f"{safe_text(name, 60)!r} is not a valid name (lowercase letters, digits, '-')", style="red")
            if self.note:
                msg = Text.assemble(Text(self.note, style="yellow"), "\n", msg)
            note.update(msg)
            note.display = True
        else:
            note.update(Text(self.note, style="yellow") if self.note else "")
            note.display = bool(self.note)

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self._refilter(event.value)

    def action_move(self, delta: int) -> None:
        lst = self.option_list
        if not self.shown:
            return
        pos = lst.highlighted if lst.highlighted is not None else 0
        lst.highlighted = max(0, min(len(self.shown) - 1, pos + delta))

    # -- choosing --------------------------------------------------------------------------------
    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        typed = event.value.strip()
        exact = next((v for v, _ in self.choices if typed and v == typed), None)
        if exact is not None:
            self.dismiss(exact)
            return
        matched = [i for i in self.shown if self.choices[i][0] not in self.pinned]
        if typed and not matched:
            if not self.free_text:
                self.notify(f"no match for {safe_text(typed, 60)!r}", severity="warning", timeout=3)
            elif valid_namespace(typed):
                self.notify(f"namespace {typed!r} is not in the list; using it anyway", timeout=5)
                self.dismiss(typed)
            return
        pos = self.option_list.highlighted
        if pos is not None and 0 <= pos < len(self.shown):
            self.dismiss(self.choices[self.shown[pos]][0])

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(self.choices[int(event.option.id or 0)][0])

    def on_key(self, event: events.Key) -> None:
        # the list never keeps the focus: typing always goes to the filter
        if self.option_list.has_focus and event.is_printable:
            self.input.focus()

    def action_cancel(self) -> None:
        self.dismiss(None)


def open_context_picker(app: Any) -> None:
    """List the kubeconfig's contexts and switch to the one picked."""
    from gotui.sources.kube_source import KubeConfigProblem, list_contexts

    bridge = app.services.get("kube")
    if bridge is None:
        app.notify("Kubernetes is not started yet.", severity="warning")
        return
    try:
        contexts = list_contexts(app.settings.kubeconfig)
    except KubeConfigProblem as exc:
        app.notify(str(exc), title="kubeconfig", severity="error", timeout=10)
        return
    from gotui.ui.kube_bridge import load_choice

    last = load_choice().get("context")  # offered, not used: marked "last used" unless it is the current one

    def label(name: str, cluster: str) -> str:
        return f"{safe_text(name)}  ({safe_text(cluster)})" + (LAST_USED if name == last and name != bridge.context else "")

    choices = [(c.name, label(c.name, c.cluster)) for c in contexts]

    def done(value: str | None) -> None:
        if value is not None and value != bridge.context:
            bridge.switch(value, "")  # a new context starts in its own namespace (or -n's)

    app.push_screen(PickerScreen("Kube context", choices, bridge.context), done)


def namespace_choices(names: list[str], current: str | None) -> list[tuple[str, str]]:
    """(value, label) rows: "all namespaces" first, then the names, the current one included."""
    listed = sorted(set(names) | ({current} if current else set()))
    return [(ALL_NAMESPACES, "* all namespaces")] + [(n, safe_text(n)) for n in listed]


def open_namespace_picker(app: Any) -> None:
    """List namespaces (in a thread) and switch to the one picked or typed, or to all namespaces."""
    bridge = app.services.get("kube")
    if bridge is None or bridge.api_client is None:
        app.notify("Not connected to a cluster.", severity="warning")
        return

    def fetch() -> None:
        from gotui.sources.kube_source import list_namespaces

        try:
            names = list_namespaces(bridge.api_client)
            error = ""
        except Exception as exc:  # noqa: BLE001
            names, error = [], describe_error(exc, what="cannot list namespaces")
        app.call_from_thread(show, names, error)

    def show(names: list[str], error: str) -> None:
        choices = namespace_choices(names, bridge.namespace)
        current = ALL_NAMESPACES if bridge.namespace is None else bridge.namespace
        note = f"{safe_text(error, 160)}\nType a namespace name and press Enter." if error else ""

        def done(value: str | None) -> None:
            if value is None:
                return
            bridge.switch(bridge.context, None if value == ALL_NAMESPACES else value)

        app.push_screen(PickerScreen("Namespace", choices, current, free_text=True, pinned=(ALL_NAMESPACES,),
                                     note=note, placeholder="type to filter, or a namespace name"), done)

    app.run_worker(fetch, thread=True, exit_on_error=False, group="kube-ns-list")
