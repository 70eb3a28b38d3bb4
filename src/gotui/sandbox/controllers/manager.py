"""ControllerManager: wires the simulated controllers to the ObjectStore and runs them on one loop.

Store writes call `_on_event` synchronously; it only records what became dirty. One loop task drains
the dirty sets and the kubelet's timer heap in slices bounded by a write budget AND by time
(`slice_s`, 10 ms), yielding to the event loop between slices, so a 150,000-pod scenario never keeps
the API server from answering; one task runs the HPA pass every `hpa_interval` seconds, and the
traffic manager opens loopback HTTP ports in its own task.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import random
import time
from collections.abc import Callable
from typing import Any

from . import events as events_mod
from .daemonset import DaemonSetController
from .deployment import DeploymentController
from .endpoints import EndpointsController
from .hpa import HPAController
from .kubelet import Kubelet
from .logs import LogSource
from .replicaset import ReplicaSetController
from .scenarios import SCENARIOS, big_objects, shop_objects
from .statefulset import StatefulSetController
from .traffic import TrafficManager
from .util import selector_matches

log = logging.getLogger(__name__)


class ControllerManager:
    """All simulated controllers of the sandbox (see SANDBOX_CONTRACT.md)."""

    def __init__(self, store: Any, *, seed: int = 1, scenario: str = "default",
                 clock: Callable[[], float] = time.time, pods: int | None = None, hpa_interval: float = 2.0,
                 downscale_window: float = 20.0, tick: float = 0.05, batch: int = 1500, traffic: bool = True,
                 max_events: int = 1000, crash_backoff: float = 1.0, slice_s: float = 0.01) -> None:
        self.store = store
        self.seed = seed
        self.scenario = scenario
        self.clock = clock
        self.mono = time.monotonic
        self.pods_default = pods
        self.tick = tick
        self.batch = batch
        self.slice_s = slice_s
        self.rng = random.Random(seed)
        self.started_at = clock()
        self._mono_at_start = self.mono()
        self.events = events_mod.EventRecorder(store, clock=clock, max_events=max_events)
        events_mod._RECORDERS[store] = self.events
        self.deployments = DeploymentController(self)
        self.replicasets = ReplicaSetController(self)
        self.statefulsets = StatefulSetController(self)
        self.daemonsets = DaemonSetController(self)
        self.kubelet = Kubelet(self, crash_backoff=crash_backoff)
        self.endpoints = EndpointsController(self)
        self.hpa = HPAController(self, interval=hpa_interval, downscale_window=downscale_window)
        self.log_source = LogSource(self)
        self.traffic = TrafficManager(self)
        self.traffic.enabled = traffic
        # indexes maintained from store events
        self.pods_by_owner: dict[str, dict[str, dict]] = {}
        self.pods_by_ns: dict[str, dict[str, dict]] = {}
        # (namespace, label key, label value) -> pods by name: Services select their pods from the
        # smallest bucket of their selector instead of scanning the namespace
        self.pods_by_label: dict[tuple[str, str, str], dict[str, dict]] = {}
        self.rs_by_owner: dict[str, set[tuple[str, str]]] = {}
        self._rs_owner_of: dict[tuple[str, str], str] = {}
        self._services_by_ns: dict[str, set[str]] = {}
        # dirty work
        self._dirty_deployments: dict[tuple[str, str], None] = {}
        self._dirty_replicasets: dict[tuple[str, str], None] = {}
        self._dirty_services: dict[tuple[str, str], None] = {}
        # StatefulSets and DaemonSets: ("statefulsets"|"daemonsets", namespace, name)
        self._dirty_sets: dict[tuple[str, str, str], None] = {}
        self._wake = asyncio.Event() if _has_loop() else None
        self._tasks: list[asyncio.Task] = []
        self._running = False
        self._loaded = False
        self._last_resync = 0.0
        self._last_endpoints = 0.0
        self.endpoints_interval = 0.1
        self.errors = 0
        self._unsubscribe = store.subscribe(self._on_event)
        self._index_existing()

    # ---- helpers used by the controllers ------------------------------------------------------
    def delay(self, lo: float, hi: float) -> float:
        """A seeded delay in [lo, hi) seconds."""
        return lo + (hi - lo) * self.rng.random()

    def log_exception(self, what: str) -> None:
        self.errors += 1
        log.exception("sandbox controller error: %s", what)

    def note_rs(self, rs: dict) -> None:
        self._index_rs("ADDED", rs)

    def force_delete_pod(self, namespace: str, name: str) -> None:
        try:
            self.store.delete("pods", namespace, name, force=True)
        except Exception:  # noqa: BLE001 - already gone
            pass

    def set_cpu(self, namespace: str, deployment: str, percent: float) -> dict:
        """Pin a Deployment's synthetic CPU (POST /sandbox/v1/cpu) and run an HPA pass soon."""
        result = self.hpa.set_cpu(namespace, deployment, percent)
        self._hpa_now = True
        self._kick()
        return result

    # ---- scenarios ----------------------------------------------------------------------------
    def load_scenario(self, name: str | None = None, pods: int | None = None) -> int:
        """Create a scenario's objects in the store (once); returns how many objects were created."""
        if self._loaded:
            return 0
        name = name or self.scenario
        if name not in SCENARIOS:
            raise ValueError(f"unknown scenario {name!r} (choose one of {', '.join(SCENARIOS[:3])})")
        self.scenario = name
        self._loaded = True
        if name == "empty":
            return 0
        if name == "big":
            n = pods if pods is not None else (self.pods_default or 10_000)
            objs = big_objects(int(n), self.seed)
            self.events.pod_events = False
            self.kubelet.fast_start = True
            self.hpa.wander = False
        else:
            objs = shop_objects(quiet=name == "quiet", now=self.clock())
            self.hpa.wander = name == "default"
        created = 0
        for resource, obj in objs:
            meta = obj["metadata"]
            if self.store.get(resource, meta.get("namespace", ""), meta["name"]) is not None:
                continue
            self.store.create(resource, obj)
            created += 1
        return created

    # ---- lifecycle ----------------------------------------------------------------------------
    def log_clock(self) -> float:
        """Wall time for log lines: the start time plus the monotonic time since. It equals `clock()`
        normally, and keeps logs flowing when the wall clock is frozen (GOTUI_FROZEN_TIME)."""
        return self.started_at + (self.mono() - self._mono_at_start)

    async def start(self) -> None:
        """Start the controller loop, the HPA loop and the traffic servers."""
        if self._running:
            return
        if not self._loaded:
            self.load_scenario(self.scenario, pods=self.pods_default)
        self._running = True
        self._wake = asyncio.Event()
        self._hpa_now = False
        # everything that exists is dirty once
        for d in self.store.list("deployments")[0]:
            self._dirty_deployments[(d["metadata"]["namespace"], d["metadata"]["name"])] = None
        for r in self.store.list("replicasets")[0]:
            self._dirty_replicasets[(r["metadata"]["namespace"], r["metadata"]["name"])] = None
        for s in self.store.list("services")[0]:
            self._dirty_services[(s["metadata"]["namespace"], s["metadata"]["name"])] = None
        self._mark_sets()
        for p in self.store.list("pods")[0]:
            self.kubelet.on_pod("MODIFIED", p)
        loop = asyncio.get_running_loop()
        await self.traffic.start()
        self._tasks = [loop.create_task(self._loop(), name="sandbox-controllers"),
                       loop.create_task(self._hpa_loop(), name="sandbox-hpa")]

    async def stop(self) -> None:
        """Stop all tasks and close the traffic servers."""
        self._running = False
        for t in self._tasks:
            t.cancel()
        for t in self._tasks:
            try:
                await t
            except (asyncio.CancelledError, Exception):  # noqa: BLE001
                pass
        self._tasks = []
        await self.traffic.stop()
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None

    def _mark_sets(self, *resources: str) -> None:
        """Mark every StatefulSet and DaemonSet (or those of `resources`) dirty."""
        for res in resources or ("statefulsets", "daemonsets"):
            for obj in self.store.list(res)[0]:
                self._dirty_sets[(res, obj["metadata"]["namespace"], obj["metadata"]["name"])] = None

    def _kick(self) -> None:
        if self._wake is not None:
            self._wake.set()

    # ---- store events -------------------------------------------------------------------------
    def _index_existing(self) -> None:
        for rs in self.store.list("replicasets")[0]:
            self._index_rs("ADDED", rs)
        for p in self.store.list("pods")[0]:
            self._index_pod("ADDED", p)
        for s in self.store.list("services")[0]:
            self._services_by_ns.setdefault(s["metadata"].get("namespace", ""), set()).add(s["metadata"]["name"])

    def _index_rs(self, event: str, rs: dict) -> None:
        meta = rs["metadata"]
        key = (meta.get("namespace", ""), meta["name"])
        old_owner = self._rs_owner_of.pop(key, None)
        if old_owner is not None:
            self.rs_by_owner.get(old_owner, set()).discard(key)
        if event == "DELETED":
            return
        for ref in meta.get("ownerReferences") or []:
            if ref.get("controller") and ref.get("kind") == "Deployment":
                self.rs_by_owner.setdefault(ref["uid"], set()).add(key)
                self._rs_owner_of[key] = ref["uid"]

    def pods_in(self, namespace: str) -> list[dict]:
        """The pods of a namespace (stored dicts, read-only) from the manager's index."""
        return list(self.pods_by_ns.get(namespace, {}).values())

    def pods_for_selector(self, namespace: str, selector: dict | None) -> list[dict]:
        """Candidate pods for an equality selector (a superset of the matches: callers still match),
        from the smallest label bucket; the whole namespace without a selector."""
        if not selector:
            return self.pods_in(namespace)
        best: dict[str, dict] | None = None
        for k, v in selector.items():
            bucket = self.pods_by_label.get((namespace, k, str(v)), {})
            if best is None or len(bucket) < len(best):
                best = bucket
        return list((best or {}).values())

    def _index_pod(self, event: str, pod: dict) -> None:
        meta = pod["metadata"]
        ns = meta.get("namespace", "")
        name = meta["name"]
        ns_bucket = self.pods_by_ns.setdefault(ns, {})
        old = ns_bucket.get(name)
        if old is not None and old is not pod:
            for k, v in (old["metadata"].get("labels") or {}).items():
                bucket = self.pods_by_label.get((ns, k, v))
                if bucket is not None:
                    bucket.pop(name, None)
                    if not bucket:
                        del self.pods_by_label[(ns, k, v)]
        if event == "DELETED":
            ns_bucket.pop(name, None)
        else:
            ns_bucket[name] = pod
            for k, v in (meta.get("labels") or {}).items():
                self.pods_by_label.setdefault((ns, k, v), {})[name] = pod
        for ref in meta.get("ownerReferences") or []:
            if ref.get("controller"):
                bucket = self.pods_by_owner.setdefault(ref["uid"], {})
                if event == "DELETED":
                    bucket.pop(meta["name"], None)
                    if not bucket:
                        self.pods_by_owner.pop(ref["uid"], None)
                else:
                    bucket[meta["name"]] = pod

    def _on_event(self, event: str, resource: str, obj: dict) -> None:
        try:
            self._route(event, resource, obj)
        except Exception:  # noqa: BLE001 - never break a store write
            self.log_exception(f"event {event} {resource}")

    def _route(self, event: str, resource: str, obj: dict) -> None:
        meta = obj.get("metadata") or {}
        ns = meta.get("namespace", "")
        if resource == "pods":
            self._index_pod(event, obj)
            for ref in meta.get("ownerReferences") or []:
                if ref.get("controller") and ref.get("kind") == "ReplicaSet":
                    self._dirty_replicasets[(ns, ref["name"])] = None
                elif ref.get("controller") and ref.get("kind") in _SET_KINDS:
                    self._dirty_sets[(_SET_KINDS[ref["kind"]], ns, ref["name"])] = None
            self.kubelet.on_pod(event, obj)
            labels = meta.get("labels") or {}
            for svc_name in self._services_by_ns.get(ns, ()):
                svc = self.store.get("services", ns, svc_name)
                # a label change may remove a pod from a selector: mark matching services and the
                # services that list the pod already (cheap enough: services per namespace are few)
                if svc is None or selector_matches((svc.get("spec") or {}).get("selector"), labels) \
                        or event != "ADDED":
                    self._dirty_services[(ns, svc_name)] = None
            self.traffic.pod_changed(event, obj)
        elif resource == "replicasets":
            self._index_rs(event, obj)
            if event != "DELETED":
                self._dirty_replicasets[(ns, meta["name"])] = None
            for ref in meta.get("ownerReferences") or []:
                if ref.get("controller") and ref.get("kind") == "Deployment":
                    self._dirty_deployments[(ns, ref["name"])] = None
        elif resource == "deployments":
            if event != "DELETED":
                self._dirty_deployments[(ns, meta["name"])] = None
        elif resource == "services":
            names = self._services_by_ns.setdefault(ns, set())
            if event == "DELETED":
                names.discard(meta["name"])
                self._dirty_services.pop((ns, meta["name"]), None)
                self.endpoints.forget(obj)
            else:
                names.add(meta["name"])
                self._dirty_services[(ns, meta["name"])] = None
            self.traffic.service_changed(event, obj)
        elif resource in ("statefulsets", "daemonsets"):
            if event != "DELETED":
                self._dirty_sets[(resource, ns, meta["name"])] = None
        elif resource == "nodes":
            self._mark_sets("daemonsets")
        elif resource == "horizontalpodautoscalers" and event == "ADDED":
            self._hpa_now = True
        else:
            return
        self._kick()

    # ---- loops --------------------------------------------------------------------------------
    def has_work(self) -> bool:
        return bool(self._dirty_deployments or self._dirty_replicasets or self._dirty_services or self._dirty_sets)

    def step(self) -> int:
        """One pass over the dirty work and due timers; returns the writes made."""
        budget = self.batch
        writes = 0
        now_mono = self.mono()
        deadline = now_mono + self.slice_s
        # periodic resync of every Deployment: every 5 s, every 30 s with 3,000 of them
        if now_mono - self._last_resync > max(5.0, self.store.count("deployments") / 100):
            self._last_resync = now_mono
            for d in self.store.list("deployments")[0]:
                self._dirty_deployments[(d["metadata"]["namespace"], d["metadata"]["name"])] = None
            self._mark_sets()
        for _ in range(len(self._dirty_sets)):
            if not self._dirty_sets or writes >= budget:
                break
            res, ns, name = next(iter(self._dirty_sets))
            del self._dirty_sets[(res, ns, name)]
            try:
                ctrl = self.statefulsets if res == "statefulsets" else self.daemonsets
                writes += ctrl.reconcile(ns, name)
            except Exception:  # noqa: BLE001
                self.log_exception(f"{res} {ns}/{name}")
        for _ in range(len(self._dirty_deployments)):
            # Deployments get a third of the slice, so ReplicaSets (pods) always make progress
            if not self._dirty_deployments or writes >= budget or self.mono() >= now_mono + self.slice_s / 3:
                break
            key = next(iter(self._dirty_deployments))
            del self._dirty_deployments[key]
            try:
                writes += self.deployments.reconcile(*key)
            except Exception:  # noqa: BLE001
                self.log_exception(f"deployment {key}")
        rs_budget = max(budget // 2, 1)
        rs_writes = 0
        for _ in range(len(self._dirty_replicasets)):
            if not self._dirty_replicasets or rs_writes >= rs_budget or self.mono() >= deadline:
                break
            key = next(iter(self._dirty_replicasets))
            del self._dirty_replicasets[key]
            try:
                # at most 16 pods per call, so the time check above runs often
                used, done = self.replicasets.reconcile(*key, min(max(rs_budget - rs_writes, 1), 16))
            except Exception:  # noqa: BLE001
                self.log_exception(f"replicaset {key}")
                continue
            writes += used
            rs_writes += used
            if not done:
                self._dirty_replicasets[key] = None
        writes += self.kubelet.run_due(self.mono(), budget, deadline)
        if self.mono() - self._last_endpoints < self.endpoints_interval:
            return writes
        self._last_endpoints = self.mono()
        for _ in range(len(self._dirty_services)):
            if not self._dirty_services or self.mono() >= deadline + self.slice_s:
                break
            key = next(iter(self._dirty_services))
            del self._dirty_services[key]
            try:
                writes += self.endpoints.reconcile(*key)
            except Exception:  # noqa: BLE001
                self.log_exception(f"endpoints {key}")
        return writes

    async def _loop(self) -> None:
        assert self._wake is not None
        frozen_at, frozen_rv, frozen_t = 0, 0, self.mono()
        while self._running:
            self._wake.clear()
            self.step()
            objects = self.store.count("pods")
            rv = int(self.store.resource_version)
            if objects - frozen_at >= 1000 or (rv - frozen_rv >= FREEZE_WRITES and self.mono() - frozen_t >= 1.0):
                # Bulk creation makes millions of long-lived, acyclic objects: move them out of the
                # cyclic collector's sight (every 1,000 new pods), or its full passes stall the loop for
                # up to seconds. Steady churn too: every write stores a new version of an object (the old
                # one is freed by reference counting, frozen or not), and 15 s of 1,000 pod changes a
                # second grew the full passes to 355 ms (measured at 50,000 pods, /sandbox/v1/info
                # answered in 436 ms). What a freeze keeps from the collector for good is cyclic garbage
                # that was still alive at that moment: a few request objects a second at most.
                gc.freeze()
                frozen_at, frozen_rv, frozen_t = objects, rv, self.mono()
            elif objects < frozen_at:
                frozen_at = objects
            if self.has_work() or (self.kubelet.next_due() or float("inf")) <= self.mono():
                # let the API server answer between slices (1 ms: 2 ms idled a sixth of the creation
                # time away; 0 answered requests slowly, a loop pass per step of a request between slices)
                await asyncio.sleep(0.001)
                continue
            due = self.kubelet.next_due()
            timeout = self.tick if due is None else min(max(due - self.mono(), 0.0), 1.0)
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=max(timeout, 0.005))
            except TimeoutError:
                pass

    async def _hpa_loop(self) -> None:
        next_run = self.mono() + self.hpa.interval
        while self._running:
            await asyncio.sleep(0.1)
            if self._hpa_now or self.mono() >= next_run:
                self._hpa_now = False
                next_run = self.mono() + self.hpa.interval
                try:
                    self.hpa.run_once()
                except Exception:  # noqa: BLE001
                    self.log_exception("hpa pass")


FREEZE_WRITES = 2000  # store writes (new object versions) between two gc.freeze() calls, at most one a second
_SET_KINDS = {"StatefulSet": "statefulsets", "DaemonSet": "daemonsets"}


def _has_loop() -> bool:
    try:
        asyncio.get_running_loop()
        return True
    except RuntimeError:
        return False
