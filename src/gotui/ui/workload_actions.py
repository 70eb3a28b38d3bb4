"""Per-kind actions of the generic resource view (:deploy, :sts, :ds): undo to a revision, scale, restart,
set image, each through the app's action gate; then `rollout status` followed live on a status line.

Deployments: `u` undo (revision picker with images and change-cause), `s` scale (the dialog warns when
an HPA manages it), `R` restart, `i` set image. StatefulSets: `R`, `s`, `i`. DaemonSets: `R`, `i`.
The maths and the writes are in ops/rollout.py and ops/workload.py; this module only asks and shows.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from gotui.ops import rollout, workload
from gotui.ops.kube_io import KubeIO
from gotui.ops.sanitize import safe_text

if TYPE_CHECKING:
    from gotui.ui.resource_view import ResourceView

FOLLOW_TIMEOUT = 300.0  # seconds `rollout status` is followed before it says it timed out
FOLLOW_EVERY = 0.5


def supports(resource: str | None, verb: str) -> bool:
    """Whether the kind `resource` (plural, group apps) has the action `verb`."""
    if resource is None:
        return False
    if verb == "undo":
        return resource == "deployments"
    if verb == "scale":
        return resource in workload.SCALABLE
    if verb in ("restart", "set_image"):
        return resource in workload.RESTARTABLE
    return False


class AskText(ModalScreen[str | None]):
    """Ask for one line of text (an image); Enter accepts, Escape cancels."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", show=False, id="asktext.cancel")]

    def __init__(self, prompt: str, value: str) -> None:
        super().__init__(classes="ask-number")
        self.prompt, self.value = prompt, value

    def compose(self) -> ComposeResult:
        with Vertical(id="ask-box"):
            yield Static(Text(self.prompt, style="bold"))
            yield Input(self.value, id="ask-input")
            yield Static(Text("Enter accept · Esc cancel", style="dim"), id="ask-hint")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        value = event.value.strip()
        if not value or any(ch.isspace() for ch in value):
            self.query_one("#ask-hint", Static).update(Text("An image: REPOSITORY[:TAG][@DIGEST], one word.",
                                                            style="bold red"))
            return
        self.dismiss(value)

    def action_cancel(self) -> None:
        self.dismiss(None)


class WorkloadActions:
    """The flows for the view's selected workload. Reads run in the view's worker threads."""

    def __init__(self, view: ResourceView) -> None:
        self.view = view
        self.follow_token = 0
        self.status_text = ""  # the last rollout-status line shown (tests and the bench read it)
        self.follow_done: bool | None = None  # None: following; True: complete; False: failed / timed out

    # -- helpers -----------------------------------------------------------------------------
    @property
    def app(self) -> Any:
        return self.view.gotui_app

    def _target(self) -> tuple[str, str, str, KubeIO, str | None] | None:
        view = self.view
        sel, kind, bridge = view.selected(), view.kind, view.bridge
        if sel is None or kind is None or sel[0] is None:
            view.notify("Nothing selected.", severity="warning", timeout=3)
            return None
        if bridge is None or bridge.api_client is None:
            view.notify("The cluster is not connected.", severity="error")
            return None
        return kind.resource, sel[0], sel[1], KubeIO(bridge.api_client), getattr(bridge, "context", None)

    def _stored(self, ns: str, name: str, *kinds: str) -> dict[str, Any] | None:
        """The Deployment `ns/name` from the bridge's store when it and `kinds` are listed there (so the
        next prompt opens at once, before keys typed after this one arrive); None: read from the API."""
        bridge = self.view.bridge
        store = getattr(bridge, "store", None)
        if store is None or not all(store.synced(k) for k in ("deployments", *kinds)):
            return None
        obj = store.get("deployments", ns, name)
        return obj if isinstance(obj, dict) else None

    def _read(self, what: str, work: Any, then: Any, fast: Any = None) -> None:
        """`then(result)` on the UI thread with `fast()` when it answers (not None), else with `work()` run
        in a thread; errors are a notification."""
        view = self.view
        if fast is not None:
            result = fast()
            if result is not None:
                then(result)
                return

        def run() -> None:
            from gotui.ops.kube_text import kube_error

            try:
                result = work()
            except Exception as exc:  # noqa: BLE001 - shown, never raised into the UI
                view.app.call_from_thread(view.notify, kube_error(exc), title=what, severity="error")
                return
            view.app.call_from_thread(then, result)

        view.run_worker(run, thread=True, exit_on_error=False, group="workload-read", exclusive=True, name=what)

    def _perform(self, action: Any, runner: Any, resource: str, ns: str, name: str, io: KubeIO) -> None:
        def done(result: Any, error: BaseException | None) -> None:
            if error is None:
                self.follow(io, resource, ns, name)

        self.app.gate.perform(action, runner, on_done=done, audit_fields=rollout.audit_fields)

    # -- u: undo ---------------------------------------------------------------------------------
    def undo(self) -> None:
        from gotui.ui.cutover_screen import PickRevision

        target = self._target()
        if target is None:
            return
        resource, ns, name, io, ctx = target

        def work() -> tuple[dict[str, Any] | None, list[rollout.Revision]]:
            dep = io.get("deployments", ns, name)
            return dep, rollout.history(dep, io.list("replicasets", ns)) if dep else []

        def fast() -> tuple[dict[str, Any] | None, list[rollout.Revision]] | None:
            dep = self._stored(ns, name, "replicasets")
            store = getattr(self.view.bridge, "store", None)
            return (dep, rollout.history(dep, store.list("replicasets", ns))) if dep and store else None

        def then(result: tuple[dict[str, Any] | None, list[rollout.Revision]]) -> None:
            dep, revs = result
            if dep is None or len(revs) < 2:
                self.view.notify(f"{name} has no earlier revision to go back to.", severity="warning")
                return
            current = rollout.revision_of(dep)
            images = rollout.template_state(dep)["images"]
            rows = [(r.number, f"r{r.number:<3} {', '.join(r.images)}  {r.change_cause or '<none>'}"
                     + ("  (current)" if r.number == current else "")) for r in reversed(revs)]

            def chosen(number: int | None) -> None:
                if number is None:
                    return
                rev = next(r for r in revs if r.number == number)
                action = rollout.undo_action(ns, name, number, ctx, detail=(
                    f"{name}: {', '.join(images)} → {', '.join(rev.images)} (template of revision {number})"))
                settings = self.app.settings
                self._perform(action, lambda: rollout.undo(io, settings, ns, name, number, ctx), resource, ns, name, io)

            self.app.push_screen(PickRevision(f"Undo {name} to revision…", rows), chosen)

        self._read("undo", work, then, fast)

    # -- s: scale ----------------------------------------------------------------------------------
    def scale(self) -> None:
        from gotui.ui.cutover_screen import AskNumber

        target = self._target()
        if target is None:
            return
        resource, ns, name, io, ctx = target

        def work() -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
            from gotui.ops.scale_up import hpa_for

            obj = io.get(resource, ns, name)
            hpa = None
            if resource == "deployments":
                try:
                    hpa = hpa_for(io.list("horizontalpodautoscalers", ns), ns, name)
                except Exception:  # noqa: BLE001 - the warning is extra; the scale is still possible
                    hpa = None
            return obj, hpa

        def fast() -> tuple[dict[str, Any] | None, dict[str, Any] | None] | None:
            from gotui.ops.scale_up import hpa_for

            if resource != "deployments":
                return None
            dep = self._stored(ns, name, "horizontalpodautoscalers")
            store = getattr(self.view.bridge, "store", None)
            return (dep, hpa_for(store.list("horizontalpodautoscalers", ns), ns, name)) if dep and store else None

        def then(result: tuple[dict[str, Any] | None, dict[str, Any] | None]) -> None:
            obj, hpa = result
            if obj is None:
                self.view.notify(f"{name} is gone.", severity="warning")
                return
            now = int((obj.get("spec") or {}).get("replicas") or 0)

            def chosen(n: int | None) -> None:
                if n is None:
                    return
                settings = self.app.settings
                if resource == "deployments":
                    action = rollout.scale_action(ns, name, n, ctx, now, hpa=hpa)
                    runner = lambda: rollout.scale(io, settings, ns, name, n, ctx)  # noqa: E731
                else:
                    action = workload.scale_action(resource, ns, name, n, ctx, now)
                    runner = lambda: workload.scale(io, settings, resource, ns, name, n, ctx)  # noqa: E731
                self._perform(action, runner, resource, ns, name, io)

            self.app.push_screen(AskNumber(f"Scale {name} (now {now}) to:", now), chosen)

        self._read("scale", work, then, fast)

    # -- R: restart --------------------------------------------------------------------------------
    def restart(self) -> None:
        target = self._target()
        if target is None:
            return
        resource, ns, name, io, ctx = target
        settings = self.app.settings
        if resource == "deployments":
            action = rollout.restart_action(ns, name, ctx)
            runner = lambda: rollout.restart(io, settings, ns, name, ctx)  # noqa: E731
        else:
            action = workload.restart_action(resource, ns, name, ctx)
            runner = lambda: workload.restart(io, settings, resource, ns, name, ctx)  # noqa: E731
        self._perform(action, runner, resource, ns, name, io)

    # -- i: set image ------------------------------------------------------------------------------
    def set_image(self) -> None:
        from gotui.ui.cutover_screen import PickRevision

        target = self._target()
        if target is None:
            return
        resource, ns, name, io, ctx = target

        def then(obj: dict[str, Any] | None) -> None:
            conts = workload.containers_of(obj) if obj else []
            if not conts:
                self.view.notify(f"{name} has no container.", severity="warning")
                return

            def ask(index: int | None) -> None:
                if index is None:
                    return
                _, cname, current = conts[index]

                def typed(image: str | None) -> None:
                    if image is None:
                        return
                    settings = self.app.settings
                    action = workload.set_image_action(resource, ns, name, cname, image, ctx, current)
                    self._perform(action, lambda: workload.set_image(io, settings, resource, ns, name, cname, image, ctx),
                                  resource, ns, name, io)

                self.app.push_screen(AskText(f"{cname}: image (now {current})", current), typed)

            if len(conts) == 1:
                ask(0)
                return
            rows = [(i, f"{c}  {img}" + ("  (init)" if fld == "initContainers" else ""))
                    for i, (fld, c, img) in enumerate(conts)]
            self.app.push_screen(PickRevision(f"Set image of {name}: container…", rows), ask)

        self._read("set image", lambda: io.get(resource, ns, name), then,
                   lambda: self._stored(ns, name) if resource == "deployments" else None)

    # -- rollout status ----------------------------------------------------------------------------
    def follow(self, io: KubeIO, resource: str, ns: str, name: str, timeout: float = FOLLOW_TIMEOUT) -> None:
        """Follow `kubectl rollout status` on the view's status line until complete, failed or `timeout`;
        a newer follow replaces it."""
        self.follow_token += 1
        token, view = self.follow_token, self.view
        self.follow_done = None
        self._show(f"rollout status {name}: waiting…", "info")

        def post(fn: Any, *args: Any) -> bool:
            try:
                view.app.call_from_thread(fn, token, *args)
            except RuntimeError:  # the app is closing
                return False
            return True

        def run() -> None:
            deadline = time.monotonic() + timeout
            while token == self.follow_token:
                try:
                    obj = io.get(resource, ns, name)
                    if obj is None:
                        post(self._end, f"{name} is gone", False)
                        return
                    text, done = workload.rollout_status(resource, obj)
                    line = f"{text} ({workload.replica_counts(obj)})"
                except Exception as exc:  # noqa: BLE001 - the error is the outcome shown
                    post(self._end, f"rollout status {name}: {exc}", False)
                    return
                if done:
                    post(self._end, line, True)
                    return
                if time.monotonic() >= deadline:
                    post(self._end, f"timed out waiting: {line}", False)
                    return
                if not post(self._update, line):
                    return
                time.sleep(FOLLOW_EVERY)

        view.run_worker(run, thread=True, exit_on_error=False, group="rollout-status", exclusive=True,
                        name="rollout status")

    def stop(self) -> None:
        self.follow_token += 1

    def _show(self, text: str, severity: str) -> None:
        self.status_text = text
        line = self.view.query_one("#rollout-status", Static)
        style = {"ok": "green", "error": "bold red"}.get(severity, "")
        line.update(Text(safe_text(text, 300), style=style))
        line.display = True

    def _update(self, token: int, text: str) -> None:
        if token == self.follow_token:
            self._show(text, "info")

    def _end(self, token: int, text: str, ok: bool) -> None:
        if token == self.follow_token:
            self.follow_done = ok
            self._show(text, "ok" if ok else "error")
