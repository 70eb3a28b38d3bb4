"""`e` edit (resource view and Pods pane), as `kubectl edit`: the object is read fresh, opened as YAML in
`$KUBE_EDITOR` / `$EDITOR` / `vi` with the TUI suspended (`App.suspend()`, as Docker exec does), and
then: unchanged -> "edit cancelled, no changes", nothing sent; invalid YAML or a changed
kind/name/namespace -> the text kept (behind the error as a `#` comment block) in a file under the state
dir, its path shown; otherwise the diff in the confirmation dialog (the shared gate: read-only refuses,
RBAC `update` checked, audit with before/after resourceVersion) and a PUT at the resourceVersion read,
so a change meanwhile is a 409: the edit stays kept. `e` on an object with a kept edit offers to reopen it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from gotui.kube.kinds import Kind
from gotui.ops import gate
from gotui.ops import kube_edit as ke
from gotui.ops.errors import describe_error
from gotui.ops.sanitize import safe_text

if TYPE_CHECKING:
    from gotui.ui.panes.base import Pane

POD_KIND = Kind("", "v1", "pods", "Pod", True, verbs=("get", "list", "watch", "update", "patch", "delete"),
                short_names=("po",), singular="pod")


class ReopenKept(ModalScreen[bool | None]):
    """An edit of this object was kept: `y` reopens it, `n` drops it and edits the server's version."""

    BINDINGS = [
        Binding("y", "answer(True)", "Reopen kept edit", id="edit.reopen"),
        Binding("n", "answer(False)", "Discard it, edit the server's version", id="edit.fresh"),
        Binding("escape,q", "answer(None)", "Cancel", id="edit.cancel"),
    ]

    def __init__(self, title: str, path: Path) -> None:
        super().__init__(classes="confirm-modal")
        self.title_text, self.path = title, path

    def compose(self) -> ComposeResult:
        body = Text()
        body.append(f"An edit of {safe_text(self.title_text)} was not applied and is kept in\n")
        body.append(safe_text(str(self.path), 400) + "\n\n", style="bold")
        body.append("y  reopen it (applied over the server's current version; the dialog shows the diff)\n"
                    "n  discard it and edit the server's current version\nEsc  do nothing")
        with Vertical(id="confirm-box"):
            yield Static(Text("Reopen your kept edit?", style="bold"), id="confirm-title")
            yield Static(body, id="confirm-facts")

    answered = False

    def action_answer(self, value: bool | None) -> None:
        if not self.answered:
            self.answered = True
            self.dismiss(value)


class ObjectEditor:
    """The `e` of one pane."""

    def __init__(self, pane: Pane) -> None:
        self.pane = pane
        self.busy = False  # an editor session (fetch, editor, check) is under way

    def edit(self, kind: Kind, namespace: str | None, name: str) -> None:
        """Start editing (from the key handler)."""
        pane = self.pane
        app = pane.gotui_app
        bridge = app.services.get("kube")
        if bridge is None or bridge.api_client is None:
            pane.notify("Not connected to a cluster.", severity="warning", timeout=3)
            return
        if self.busy:
            return
        if app.settings.readonly:
            verdict = gate.verdict(_probe(kind, namespace, name, bridge.context), app.settings)
            pane.notify(verdict.reason, title="Refused: edit", severity="error")
            return
        kept = ke.kept_path(bridge.context, kind.group_resource, namespace, name)
        where = f"{kind.kind.lower()} {namespace + '/' if namespace else ''}{name}"
        if kept.exists():
            def answered(reopen: bool | None) -> None:
                if reopen is None:
                    return
                text = None
                if reopen:
                    try:
                        text = kept.read_text(encoding="utf-8")
                    except OSError as exc:
                        pane.notify(describe_error(exc), title="Kept edit not read", severity="error")
                        return
                else:
                    kept.unlink(missing_ok=True)
                self._open(bridge, kind, namespace, name, kept, text)

            app.push_screen(ReopenKept(where, kept), callback=answered)
            return
        self._open(bridge, kind, namespace, name, kept, None)

    def _open(self, bridge: Any, kind: Kind, namespace: str | None, name: str, kept: Path,
              kept_text: str | None) -> None:
        self.busy = True
        client, context = bridge.api_client, bridge.context

        def session() -> None:
            try:
                self._session(client, context, kind, namespace, name, kept, kept_text)
            finally:
                self.busy = False

        self.pane.run_worker(session, thread=True, exit_on_error=False, group="edit", name="edit")

    # -- in the worker thread ------------------------------------------------------------------
    def _say(self, text: str, severity: str = "information", timeout: float = 8, title: str = "edit") -> None:
        self.pane.app.call_from_thread(self.pane.notify, text, title=title, severity=severity,  # type: ignore[arg-type]
                                       timeout=timeout, markup=False)

    def _session(self, client: Any, context: str | None, kind: Kind, namespace: str | None, name: str,
                 kept: Path, kept_text: str | None) -> None:
        from gotui.kube.resources import get_object

        try:
            obj = get_object(client, kind, namespace, name)
        except Exception as exc:  # noqa: BLE001 - shown, never raised into the UI
            self._say(describe_error(exc, what="edit"), "error")
            return
        rv = str((obj.get("metadata") or {}).get("resourceVersion") or "")
        if kept_text is None:
            text = ke.edit_text(obj)
        else:
            text = ke.with_errors(kept_text, [
                f"Your kept edit, reopened. The server's version is now {rv}: saving replaces it",
                "(the confirmation dialog shows every line that changes)."])
        path = ke.temp_file(text, name)
        try:
            code = self._run_editor(path)
            if code is None:
                return
            edited = path.read_text(encoding="utf-8", errors="replace")
        finally:
            path.unlink(missing_ok=True)
        if code != 0:
            if ke.strip_comments(edited) != ke.strip_comments(text):
                ke.write_private(kept, edited)
                self._say(f"the editor exited with status {code}: nothing sent; your edit is kept in {kept}",
                          "warning", 15)
            else:
                self._say(f"the editor exited with status {code}: edit cancelled", "warning")
            return
        result = ke.check_edit(obj, edited)
        if result.state == "unchanged":
            kept.unlink(missing_ok=True)
            self._say("edit cancelled, no changes", timeout=4)
            return
        if result.state == "invalid":
            ke.write_private(kept, ke.with_errors(edited, [result.error]))
            self._say(f"{result.error}. Nothing sent; your edit is kept in {kept} (e reopens it)", "error", 20,
                      title="edit not applied")
            return
        assert result.obj is not None
        ke.write_private(kept, edited)  # until the server has taken it
        self.pane.app.call_from_thread(self._confirm, client, context, kind, namespace, name, obj, result.obj, kept,
                                       edited)

    def _run_editor(self, path: Path) -> int | None:
        """The editor on `path` with the TUI suspended (headless, as under test: no terminal to give)."""
        app = self.pane.app

        def run() -> int:
            if app.is_headless:
                return ke.run_editor(path)
            with app.suspend():
                return ke.run_editor(path)

        try:
            return app.call_from_thread(run)
        except Exception as exc:  # noqa: BLE001 - no editor, or the terminal cannot be suspended
            hint = " (set $KUBE_EDITOR or $EDITOR)" if isinstance(exc, FileNotFoundError) else ""
            self._say(describe_error(exc, what="editor") + hint, "error", 10)
            return None

    # -- back on the UI thread -----------------------------------------------------------------
    def _confirm(self, client: Any, context: str | None, kind: Kind, namespace: str | None, name: str,
                 old: dict[str, Any], new: dict[str, Any], kept: Path, edited: str) -> None:
        from gotui.kube.resources import edit_action, replace_object

        app = self.pane.gotui_app
        rv = str(old["metadata"].get("resourceVersion") or "")
        action = edit_action(kind, namespace, name, context, ke.diff_lines(old, new), rv)
        settings = app.settings

        def runner() -> dict[str, Any]:
            return ke.apply_edit(lambda: replace_object(client, kind, new, action, settings), kept, edited)

        def audit_fields(result: Any, error: BaseException | None) -> dict[str, Any]:
            after = (result.get("metadata") or {}).get("resourceVersion") if isinstance(result, dict) else None
            fields: dict[str, Any] = {"before": {"resourceVersion": rv}, "after": {"resourceVersion": after}}
            if isinstance(error, ke.EditConflict):
                fields["outcome"] = "conflict"
                fields["message"] = f"{ke.CONFLICT}; kept in {kept}"
            return fields

        def on_done(result: Any, error: BaseException | None) -> None:
            if error is None:
                kept.unlink(missing_ok=True)
            elif not isinstance(error, ke.EditConflict):
                self.pane.notify(f"Nothing applied; your edit is kept in {kept} with the server's answer on top "
                                 "(e reopens it).", title="edit", severity="warning", timeout=20, markup=False)

        def on_cancel() -> None:
            self.pane.notify(f"Nothing sent; your edit is kept in {kept} (e reopens it).", title="edit",
                             timeout=8, markup=False)

        where = f"{namespace}/" if namespace else ""
        app.gate.perform(action, runner, on_done=on_done, audit_fields=audit_fields, on_cancel=on_cancel,
                    success=f"Edited {kind.kind.lower()} {where}{name}")


def _probe(kind: Kind, namespace: str | None, name: str, context: str | None) -> Any:
    from gotui.kube.resources import edit_action

    return edit_action(kind, namespace, name, context, [], "")
