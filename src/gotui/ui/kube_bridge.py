"""KubeBridge: connects the app to a cluster — kubeconfig, Watchers, the ClusterStore — and turns
store changes into coalesced `KubeChanged` messages (at most ~10 a second) for the panes.

Created by the app after the first frame and kept in `app.services["kube"]`. Nothing here polls:
watcher threads mark the store dirty, the store wakes the UI loop once, and one flush per 100 ms
window posts the changed kinds.
"""

from __future__ import annotations

import asyncio
import contextvars
import gc
import json
import threading
import time
from typing import TYPE_CHECKING, Any

from textual.widget import Widget

from gotui.config import state_dir
from gotui.ops.pods import pod_row
from gotui.ops.rbac import RbacChecker
from gotui.ops.sanitize import safe_text
from gotui.sources.kube_source import KINDS, Watcher, connect
from gotui.store import ClusterStore
from gotui.ui.messages import KubeChanged, KubeStateChanged

if TYPE_CHECKING:
    from gotui.ui.app import GotuiApp

FLUSH_INTERVAL = 0.1
STATE_FILE = "kube.json"
RBAC_PROBES = (("delete", "pods", ""), ("patch", "deployments", "apps"), ("patch", "horizontalpodautoscalers", "autoscaling"),
               ("create", "pods/exec", ""), ("create", "pods/portforward", ""))


def load_choice() -> dict[str, Any]:
    """The last context/namespace chosen in the picker."""
    try:
        data = json.loads((state_dir() / STATE_FILE).read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def save_choice(context: str | None, namespace: str | None) -> None:
    """Remember the context/namespace for next time (best effort)."""
    try:
        path = state_dir() / STATE_FILE
        path.parent.mkdir(parents=True, exist_ok=True)
        # namespace None = all namespaces ("*"), "" = the context's own
        path.write_text(json.dumps({"context": context, "namespace": "*" if namespace is None else namespace}), encoding="utf-8")
    except OSError:
        pass


def last_choice_offer(remembered: dict[str, Any], context: str | None, namespace: str | None) -> tuple[str, str]:
    """(notice, binding id of the picker) offering the remembered pick when it differs from
    `context`/`namespace` (None = all namespaces); ("", "") when it does not."""
    last_ctx, last_ns = remembered.get("context"), remembered.get("namespace")
    if not isinstance(last_ctx, str) or not last_ctx:
        return "", ""
    if last_ctx != context:
        return (f"Last used context: {safe_text(last_ctx, 60)}. This session uses {safe_text(context or '-', 60)} "
                "(the kubeconfig's current context, or --context).", "kube.context")
    if isinstance(last_ns, str) and last_ns and last_ns != (namespace if namespace is not None else "*"):
        name = "all namespaces" if last_ns == "*" else safe_text(last_ns, 60)
        return f"Last used namespace in {safe_text(last_ctx, 60)}: {name}.", "kube.namespace"
    return "", ""


class KubeBridge:
    """The app's connection to Kubernetes (see module docstring)."""

    def __init__(self, app: GotuiApp, *, kinds: tuple[str, ...] | None = None, watch_timeout: int = 300) -> None:
        self.app = app
        self.settings = app.settings
        # the Pods pane's rows are built by the watcher thread, off the UI loop
        self.store = ClusterStore(on_dirty=self._dirty_from_thread, derive={"pods": pod_row})
        self.api_client: Any = None
        self.context: str | None = None
        self.namespace: str | None = None
        self.state = "connecting"
        self.detail = ""
        self.kinds = kinds or tuple(KINDS)
        self.watch_timeout = watch_timeout
        self.watchers: dict[str, Watcher] = {}
        self.kind_states: dict[str, tuple[str, str]] = {}
        self.listeners: list[Widget] = []
        self.rbac: RbacChecker | None = None
        self.flushes = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._context: contextvars.Context | None = None
        self._flush_pending = False
        self._last_flush = 0.0
        self._generation = 0  # bumps on every (re)connect so stale threads are ignored
        self._lock = threading.Lock()
        self._rbac_inflight = False
        self._frozen_at = -1
        self._rbac_asked: dict[str | None, float] = {}
        self._offered = False  # the last pick was offered once (see offer_last_choice)
        self._offer_pending = False
        self.started_at = 0.0  # time.monotonic() of the last start() (bench/diagnostics)
        self.connected_at = 0.0  # ... when the watchers started

    # -- lifecycle ------------------------------------------------------------------------------
    def start(self, context: str | None = None, namespace: str | None = None, *, all_namespaces: bool = False) -> None:
        """Connect (in a thread) to `context`/`namespace`.

        At start-up (no `context`) that is --context / GOTUI_CONTEXT, else the kubeconfig's current
        context, and -n / GOTUI_NAMESPACE, else the context's namespace: the same cluster and namespace
        the headless commands act on. The last pick is only offered (`offer_last_choice`), never used
        silently.
        """
        self._loop = asyncio.get_running_loop()
        self.started_at = time.monotonic()
        self._context = contextvars.copy_context()  # callbacks from threads run with the app's context
        from gotui.sources import preload_http_stack

        preload_http_stack()  # `requests`, once, on the UI thread (see there)

        ctx = context or self.settings.context
        ns: str | None = "*" if all_namespaces else (namespace or self.settings.namespace)
        self._offer_pending = context is None and not self._offered
        self._generation += 1
        gen = self._generation
        self._set_state("connecting", "")
        self.app.run_worker(lambda: self._connect(gen, ctx, ns), thread=True, exit_on_error=False,
                            group="kube-connect", name="kube connect")

    def switch(self, context: str | None, namespace: str | None) -> None:
        """Reconnect to another context and/or namespace (None = all namespaces, "" = the context's
        own); remembered, to be offered on the next start."""
        self.stop()
        self.store.clear()
        save_choice(context, namespace)
        self.start(context, namespace, all_namespaces=namespace is None)

    def stop(self) -> None:
        self._generation += 1
        for w in self.watchers.values():
            w.stop()
        self.watchers = {}
        self.kind_states = {}

    def _connect(self, gen: int, ctx: str | None, ns: str | None) -> None:
        conn = connect(self.settings.kubeconfig, ctx, ns)
        if conn.problem:
            self._call(self._failed, gen, conn.problem, conn.context, conn.namespace)
            if conn.fatal:
                return  # else watchers retry with backoff and show "reconnecting"
        self._call(self._connected, gen, conn.api_client, conn.context, conn.namespace)

    def _call(self, fn: Any, *args: Any) -> None:
        if self._loop is not None and not self._loop.is_closed():
            try:
                self._loop.call_soon_threadsafe(fn, *args, context=self._context)
            except RuntimeError:
                pass

    def _failed(self, gen: int, message: str, ctx: str | None = None, ns: str | None = None) -> None:
        if gen != self._generation:
            return
        if ctx:
            self.context, self.namespace = ctx, ns
        self._set_state("error", message)

    def _connected(self, gen: int, client: Any, ctx: str, ns: str | None) -> None:
        if gen != self._generation:
            return
        self.api_client = client
        self.connected_at = time.monotonic()
        self.context, self.namespace = ctx, ns
        self.rbac = RbacChecker(client, ctx)
        self.app.rbac_checker = self.rbac
        self._update_status_bar()
        if self._offer_pending:
            self.offer_last_choice()
        for kind in self.kinds:
            watcher = Watcher(client, kind, self.store, ns, watch_timeout=self.watch_timeout,
                              on_state=lambda k, s, d: self._call(self._kind_state, gen, k, s, d))
            self.watchers[kind] = watcher
            self.kind_states[kind] = ("connecting", "")
            watcher.start()
        self.prefetch_rbac()

    def offer_last_choice(self) -> None:
        """Tell the operator (once) about a remembered pick that differs from where this session started."""
        self._offer_pending, self._offered = False, True
        text, binding_id = last_choice_offer(load_choice(), self.context, self.namespace)
        if text:
            from gotui.ui.keys import key_of

            self.app.notify(f"{text} Press {key_of(binding_id, self.app)} on Pods or HPA to switch.",
                            title="Last used", timeout=10)

    # -- RBAC -----------------------------------------------------------------------------------
    def prefetch_rbac(self, namespace: str | None = "") -> None:
        """Ask the SSARs for the actions the panes offer (in a thread), then refresh their keys."""
        rbac, gen = self.rbac, self._generation
        ns = (self.namespace if namespace == "" else namespace) or None
        now = time.monotonic()
        if rbac is None or self._rbac_inflight or now - self._rbac_asked.get(ns, -1e9) < 5.0:
            return
        self._rbac_asked[ns] = now
        self._rbac_inflight = True

        def work() -> None:
            try:
                for verb, resource, group in RBAC_PROBES:
                    rbac.allowed(verb, resource, group, ns)
            finally:
                self._rbac_inflight = False
            self._call(self._rbac_ready, gen)

        threading.Thread(target=work, name="gotui-rbac", daemon=True).start()

    def _rbac_ready(self, gen: int) -> None:
        if gen != self._generation:
            return
        for target in self._targets():
            if hasattr(target, "rbac_changed"):
                target.rbac_changed()

    def rbac_denied(self, action: Any) -> str | None:
        """The denial reason for `action` from the cache (no request; triggers a refresh when stale)."""
        if self.rbac is None or not getattr(action, "rbac", None):
            return None
        hit = self.rbac.cached(action)
        if hit is None:
            self.prefetch_rbac(action.namespace)
            return None
        return None if hit[0] else self.rbac(action)

    # -- state ----------------------------------------------------------------------------------
    def _kind_state(self, gen: int, kind: str, state: str, detail: str) -> None:
        if gen != self._generation:
            return
        self.kind_states[kind] = (state, detail)
        states = self.kind_states
        core = [k for k in states if k not in ("secrets", "events")]
        errors = [(k, d) for k, (s, d) in states.items() if s == "error" and k in core]
        reconnecting = [(k, d) for k, (s, d) in states.items() if s == "reconnecting"]
        if errors:
            self._set_state("error", f"{errors[0][0]}: {errors[0][1]}")
        elif reconnecting:
            self._set_state("reconnecting", reconnecting[0][1])
        elif any(s == "connecting" for s, _ in states.values()):
            self._set_state("connecting", "")
        else:
            self._set_state("connected", "")

    def kind_state(self, kind: str) -> tuple[str, str]:
        return self.kind_states.get(kind, (self.state, self.detail))

    def _set_state(self, state: str, detail: str) -> None:
        changed = (state, detail) != (self.state, self.detail)
        self.state, self.detail = state, detail
        self._update_status_bar()
        if changed or state == "connecting":
            for target in self._targets():
                target.post_message(KubeStateChanged(state, detail))

    def _update_status_bar(self) -> None:
        try:
            bar = self.app.status_bar
        except Exception:  # noqa: BLE001 - app closing
            return
        bar.context = self.context or self.settings.context or "-"
        bar.namespace = "all" if (self.context and self.namespace is None) else (self.namespace or self.settings.namespace or "-")
        bar.kube_state = {"connected": "", "connecting": "connecting…", "reconnecting": "reconnecting…",
                          "error": "kube error"}.get(self.state, self.state)

    # -- coalesced change batches ---------------------------------------------------------------
    def _targets(self) -> list[Widget]:
        return [*self.app.panes, *self.listeners]

    def _dirty_from_thread(self) -> None:
        self._call(self._schedule_flush)

    def _schedule_flush(self) -> None:
        if self._flush_pending:
            return
        self._flush_pending = True
        delay = max(0.005, self._last_flush + FLUSH_INTERVAL - time.monotonic())
        self.app.set_timer(delay, self._flush, name="kube-flush")

    def _flush(self) -> None:
        self._flush_pending = False
        self._last_flush = time.monotonic()
        kinds = self.store.take_dirty()
        if not kinds:
            return
        self.flushes += 1
        for target in self._targets():
            target.post_message(KubeChanged(kinds))
        if "pods" in kinds and self.store.count("pods") > 2000:
            relisted = self.store.generation("pods")
            if relisted != self._frozen_at and self.store.synced("pods") and self.flushes % 20 == 1:
                # Tens of thousands of cached dicts make every full GC pass walk them (100s of ms
                # stalls); move what exists now out of the collector's way.
                self._frozen_at = relisted
                gc.freeze()
