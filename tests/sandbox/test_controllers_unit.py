"""Pure parts of the sandbox controllers: HPA formula, rolling-update maths, hashes, logs, Helm encoding,
plus the controllers driven in-process against the real ObjectStore (no HTTP)."""

from __future__ import annotations

import asyncio
import base64
import gzip
import json
import re

import pytest

from gotui.sandbox.controllers import ControllerManager
from gotui.sandbox.controllers.deployment import (
    new_rs_scale_up,
    old_rs_available_scale_down,
    old_rs_scale_down_budget,
    resolve_fenceposts,
)
from gotui.sandbox.controllers.helm import decode_release, go_api_releases, release_secret
from gotui.sandbox.controllers.hpa import clamp_replicas, desired_replicas
from gotui.sandbox.controllers.kubelet import Run, is_crash_image
from gotui.sandbox.controllers.logs import LineGenerator
from gotui.sandbox.controllers.util import iso_nano, template_hash, templates_equal
from gotui.sandbox.errors import ApiError
from gotui.sandbox.store import ObjectStore

pytestmark = pytest.mark.timeout(60)


# ---- HPA ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("ready", "util", "target", "want"), [
    (3, 140, 70, 6),      # ratio 2 -> double
    (3, 75, 70, 3),       # ratio 1.07: inside the 10 % tolerance
    (3, 63.5, 70, 3),     # ratio 0.907: inside the tolerance
    (3, 62, 70, 3),       # ratio 0.886: outside, ceil(2.66) = 3
    (4, 30, 70, 2),       # ceil(1.71) = 2
    (3, 78, 70, 4),       # ratio 1.114: outside, ceil(3.34) = 4
    (10, 10, 70, 2),      # ceil(1.43) = 2
])
def test_hpa_formula_with_tolerance(ready, util, target, want):
    assert desired_replicas(ready, util, target) == want


def test_hpa_clamp_and_limits():
    assert clamp_replicas(12, 6, 2, 10) == (10, "TooManyReplicas",
                                            "the desired replica count is more than the maximum replica count")
    assert clamp_replicas(1, 3, 2, 10)[:2] == (2, "TooFewReplicas")
    assert clamp_replicas(5, 3, 2, 10)[:2] == (5, "DesiredWithinRange")
    # scale-up rate: at most max(4, 2 x current) per pass
    assert clamp_replicas(40, 3, 1, 100)[:2] == (6, "ScaleUpLimit")
    assert clamp_replicas(40, 1, 1, 100)[:2] == (4, "ScaleUpLimit")


# ---- rolling update maths -----------------------------------------------------------------------

def test_fenceposts_round_surge_up_and_unavailable_down():
    assert resolve_fenceposts("25%", "25%", 3) == (1, 0)
    assert resolve_fenceposts("25%", "25%", 10) == (3, 2)
    assert resolve_fenceposts(None, None, 4) == (1, 1)
    assert resolve_fenceposts(0, 0, 5) == (0, 1)  # both zero -> one may be unavailable
    assert resolve_fenceposts(2, "50%", 5) == (2, 2)


def test_rolling_update_steps_never_break_the_bounds():
    """Simulate a rollout of 10 replicas with surge 3 / unavailable 2 with instant readiness."""
    desired, surge, unavail = 10, 3, 2
    new, old = 0, 10
    steps = 0
    while (new, old) != (desired, 0):
        new = new_rs_scale_up(desired, surge, new, new + old)
        assert new + old <= desired + surge
        budget = old_rs_scale_down_budget(desired, unavail, new + old, new, new)
        down = min(budget, old_rs_available_scale_down(desired, unavail, new + old), old)
        old -= down
        assert new + old >= desired - unavail
        steps += 1
        assert steps < 20
    assert steps >= 3


def test_scale_up_is_bounded_by_surge():
    assert new_rs_scale_up(3, 1, 0, 3) == 1
    assert new_rs_scale_up(3, 1, 1, 4) == 1  # at max total: wait
    assert new_rs_scale_up(3, 1, 5, 5) == 3  # over desired: back to desired


# ---- hashes and templates ----------------------------------------------------------------------

def test_template_hash_is_stable_and_ignores_the_hash_label():
    t = {"metadata": {"labels": {"app": "a"}}, "spec": {"containers": [{"name": "a", "image": "a:1"}]}}
    h = template_hash(t)
    assert re.fullmatch(r"[bcdfghjklmnpqrstvwxz2456789]+", h)
    assert template_hash(t) == h
    labelled = {"metadata": {"labels": {"app": "a", "pod-template-hash": h}, "creationTimestamp": None},
                "spec": t["spec"]}
    assert templates_equal(t, labelled)
    other = {"metadata": t["metadata"], "spec": {"containers": [{"name": "a", "image": "a:2"}]}}
    assert template_hash(other) != h
    assert not templates_equal(t, other)


def test_crash_images():
    assert is_crash_image("go-worker:0.9.1-crash")
    assert is_crash_image("registry:5000/x/crash-app:crash")
    assert not is_crash_image("crash/app:1.0")
    assert not is_crash_image("go-api:1.4.2")


# ---- logs ---------------------------------------------------------------------------------------

def _gen(container="go-api", image="go-api:1.4.2", seed=7, end=None, crashed=False):
    run = Run(start=1_795_000_000.0, container_id="containerd://x", end=end, crashed=crashed)
    return LineGenerator(seed, "go-api-blue-abc-xyz12", container, image, 0, run, "shop")


def test_log_lines_are_deterministic_and_plausible():
    a = _gen().lines_between(1_795_000_000.0 - 1, 1_795_000_030.0)
    b = _gen().lines_between(1_795_000_000.0 - 1, 1_795_000_030.0)
    assert a == b
    assert 55 <= len(a) <= 64  # three start-up lines, then one line per 0.5 s
    times = [t for t, _ in a]
    assert times == sorted(times)
    docs = [json.loads(line) for _, line in a]
    assert docs[0]["msg"] == "starting go-api" and docs[0]["version"] == "1.4.2"
    served = [d for d in docs if d["msg"] == "request served"]
    assert served and {"level", "ts", "method", "path", "status", "latency_ms"} <= set(served[0])
    assert _gen(seed=8).lines_between(1_795_000_000.0 - 1, 1_795_000_030.0) != a


def test_log_styles_plain_with_ansi_and_panic_on_crash():
    gen = _gen("worker", "go-worker:0.9.1-crash", end=1_795_000_005.0, crashed=True)
    lines = [line for _, line in gen.lines_between(0, 1_795_000_100.0)]
    assert re.match(r"\d{4}/\d\d/\d\d \d\d:\d\d:\d\d \x1b\[32mINFO\x1b\[0m starting worker", lines[0])
    assert "panic: runtime error: invalid memory address or nil pointer dereference" in lines
    assert lines[-1] == "exit status 2"
    # nothing after the run ended
    assert all(t <= 1_795_000_005.0 for t, _ in gen.lines_between(0, 1_795_000_100.0))


def test_iso_nano():
    assert iso_nano(1_700_000_000.25) == "2023-11-14T22:13:20.250000000Z"
    assert iso_nano(0.5) == "1970-01-01T00:00:00.500000000Z"


# ---- Helm ---------------------------------------------------------------------------------------

def test_helm_secret_is_helms_storage_format():
    releases = go_api_releases("shop", 1_795_000_000.0)
    secrets = [release_secret(r, "shop") for r in releases]
    assert [s["metadata"]["name"] for s in secrets] == [f"sh.helm.release.v1.go-api.v{i}" for i in (1, 2, 3)]
    assert [s["metadata"]["labels"]["status"] for s in secrets] == ["superseded", "superseded", "deployed"]
    s3 = secrets[2]
    assert s3["type"] == "helm.sh/release.v1"
    assert s3["metadata"]["labels"] == {"name": "go-api", "owner": "helm", "status": "deployed", "version": "3"}
    inner = base64.b64decode(base64.b64decode(s3["data"]["release"]))
    assert inner[:3] == b"\x1f\x8b\x08"
    rel = json.loads(gzip.decompress(inner))
    assert rel == decode_release(s3["data"]["release"])
    assert rel["name"] == "go-api" and rel["version"] == 3 and rel["namespace"] == "shop"
    assert rel["info"]["status"] == "deployed" and rel["info"]["deleted"] == ""
    assert rel["chart"]["metadata"]["appVersion"] == "1.4.2"
    assert "# Source: go-api/templates/deployment.yaml" in rel["manifest"]
    assert rel["info"]["first_deployed"] < rel["info"]["last_deployed"]


# ---- in-process controllers against the real store ----------------------------------------------

async def _wait(pred, timeout=10.0):
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while loop.time() < end:
        if pred():
            return True
        await asyncio.sleep(0.05)
    return pred()


async def test_inprocess_default_scenario_converges_and_logs_errors():
    store = ObjectStore(seed=3, pod_termination_seconds=1.0)
    cm = ControllerManager(store, seed=3, scenario="default", traffic=False)
    cm.load_scenario("default")
    await cm.start()
    try:
        def ready_blue():
            pods, _ = store.list("pods", "shop", label_selector="app=go-api,version=blue")
            return len(pods) == 3 and all(p["status"].get("podIP") and any(
                c["type"] == "Ready" and c["status"] == "True" for c in p["status"]["conditions"]) for p in pods)
        assert await _wait(ready_blue)

        def worker_started():  # the worker's pod is scheduled apart from blue's: wait for its log-shipper
            pods, _ = store.list("pods", "shop", label_selector="app=worker")
            return pods and any(c["name"] == "log-shipper" and "running" in (c.get("state") or {})
                                for c in pods[0]["status"].get("containerStatuses") or [])
        assert await _wait(worker_started, timeout=30.0)
        worker = store.list("pods", "shop", label_selector="app=worker")[0][0]
        name = worker["metadata"]["name"]
        with pytest.raises(ApiError) as err:
            cm.log_source.read_log("shop", name, None)
        assert err.value.code == 400
        assert err.value.message == (f"a container name must be specified for pod {name}, "
                                     "choose one of: [worker log-shipper]")
        with pytest.raises(ApiError) as err:
            cm.log_source.read_log("shop", name, "nope")
        assert err.value.message == f"container nope is not valid for pod {name}"
        with pytest.raises(ApiError) as err:
            cm.log_source.read_log("shop", "missing-pod", "x")
        assert err.value.code == 404
        with pytest.raises(ApiError) as err:
            cm.log_source.read_log("shop", name, "log-shipper", previous=True)
        assert err.value.message == f'previous terminated container "log-shipper" in pod "{name}" not found'
        lines = [line async for line in cm.log_source.read_log("shop", name, "log-shipper", timestamps=True)]
        assert lines and all(re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z ", x) for x in lines)
        stream = await cm.log_source.read_log("shop", name, "log-shipper", limit_bytes=10, timestamps=True)
        assert "".join([x async for x in stream]) == lines[0][:10]
        tail = [x async for x in cm.log_source.read_log("shop", name, "log-shipper", tail_lines=1)]
        # lines keep coming: the tail is the newest line of a full read made right after it
        after = [line async for line in cm.log_source.read_log("shop", name, "log-shipper", timestamps=True)]
        assert len(tail) == 1 and any(x.endswith(tail[0]) for x in after[-3:])
        assert cm.errors == 0
    finally:
        await cm.stop()
        store.close()


async def test_stored_objects_are_never_changed_in_place():
    """Stored objects are read-only: every change is a new version through the store. The store keeps
    each object's JSON beside it; after the default scenario's controllers (rollout, scaling, a
    crash-looping pod, HPA, endpoints, events) and the churn, every object still equals its JSON. The
    sub-trees the controllers share between pods (a ReplicaSet's containers, equal conditions) rely on
    this: a change made in place there would change every pod that shares it."""
    from gotui.sandbox.churn import Churn

    store = ObjectStore(seed=5, pod_termination_seconds=0.5)
    cm = ControllerManager(store, seed=5, scenario="default", traffic=False)
    cm.load_scenario("default")
    await cm.start()
    try:
        assert await _wait(lambda: len(store.list("pods", "shop", label_selector="app=go-api")[0]) >= 3)
        dep = json.loads(store.get_data("deployments", "shop", "go-api-green"))
        dep["spec"]["template"]["spec"]["containers"][0]["image"] = "ghcr.io/example/go-api:v9"
        dep["spec"]["replicas"] = 4
        store.update("deployments", dep)
        churn = Churn(store)
        churn.start(200, 2.0)
        await asyncio.sleep(6.0)
        changed = [(r, k) for r in ("pods", "replicasets", "deployments", "endpoints", "services", "events")
                   for k, obj in store._objects[r].items() if json.loads(store._data[r][k]) != obj]
        assert changed == []
        assert cm.errors == 0
    finally:
        await cm.stop()
        store.close()


def test_template_cache_evicts_its_oldest_entry_one_at_a_time(monkeypatch):
    """The Deployment controller's normalized-template cache is bounded by evicting the oldest entry
    per new one: clearing all 20,000 entries at once stalled the API 81 ms at 150,000 pods."""
    from gotui.sandbox.controllers import deployment

    monkeypatch.setattr(deployment, "NORMALIZED_KEPT", 5, raising=False)
    store = ObjectStore(seed=1)
    ctl = deployment.DeploymentController(ControllerManager(store, seed=1, scenario="quiet", traffic=False))
    templates = [{"metadata": {"labels": {"app": f"a{i}"}}, "spec": {"containers": [{"name": "c", "image": f"i:{i}"}]}}
                 for i in range(12)]
    for i, t in enumerate(templates):
        assert ctl._same_template(t, dict(t))  # the copy is normalized too: two entries per step
        assert len(ctl._normalized) == min(2 * (i + 1), 5)
    # the newest survive; the cache holds the templates it keys by id
    assert ctl._normalized[id(templates[-1])][0] is templates[-1]
    assert id(templates[0]) not in ctl._normalized
    store.close()


async def test_start_freezes_the_seed_out_of_the_cyclic_collector():
    """start() gc.freeze()s the modules and the scenario's seed before serving: a full collection over
    them stalled the API 106 ms while 150,000 pods were being created."""
    import gc

    from gotui.sandbox.server import start

    gc.unfreeze()
    sandbox = await start(scenario="default")
    try:
        assert gc.get_freeze_count() > 10_000, gc.get_freeze_count()
    finally:
        await sandbox.stop()
        gc.unfreeze()
