"""Pure parts of the cutover: the state machine, preflight and rollback rules, the patches, colour detection."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from gotui.ops.bluegreen import ANN_LOCK, ANN_PREVIOUS, Lock, build_app, detect_color_key, discover_apps
from gotui.ops.cutover import (
    EXIT_CODES,
    MAIN_STEPS,
    TERMINAL,
    TRANSITIONS,
    Step,
    can_transition,
    lock_patch,
    preflight_problems,
    revert_patch,
    rollback_problems,
    switch_patch,
    unlock_patch,
)
from gotui.sandbox.patch import json_patch
from releases.objects import cluster, deployment, replicaset, service


def app_of(**kw):
    svc, deps, rss, pods, eps = cluster(**kw)
    return build_app(svc, deps, rss, pods, eps)


# -- state machine ------------------------------------------------------------------------------


def test_happy_path_is_allowed_in_order():
    path = [Step.PREFLIGHT, Step.SMOKE, Step.SWITCH, Step.VERIFY, Step.DONE]
    assert all(can_transition(a, b) for a, b in zip(path, path[1:], strict=False))


def test_cancel_only_before_switch():
    assert can_transition(Step.PREFLIGHT, Step.CANCELLED)
    assert can_transition(Step.SMOKE, Step.CANCELLED)
    assert not can_transition(Step.SWITCH, Step.CANCELLED)
    assert not can_transition(Step.VERIFY, Step.CANCELLED)


def test_revert_only_after_switch_and_it_ends_in_failure_states():
    assert not can_transition(Step.PREFLIGHT, Step.REVERT)
    assert not can_transition(Step.SMOKE, Step.REVERT)
    assert can_transition(Step.SWITCH, Step.REVERT) and can_transition(Step.VERIFY, Step.REVERT)
    assert TRANSITIONS[Step.REVERT] == {Step.FAILED_REVERTED, Step.REVERT_FAILED}
    assert not can_transition(Step.VERIFY, Step.REFUSED)  # after the switch, failure always reverts


def test_terminal_states_have_no_exit_and_map_to_cli_exit_codes():
    for state in TERMINAL:
        assert state not in TRANSITIONS
    assert EXIT_CODES == {Step.DONE: 0, Step.FAILED_REVERTED: 1, Step.REFUSED: 2, Step.CANCELLED: 2, Step.REVERT_FAILED: 3}
    assert MAIN_STEPS == (Step.PREFLIGHT, Step.SMOKE, Step.SWITCH, Step.VERIFY)


# -- discovery ----------------------------------------------------------------------------------


def test_discovery_finds_colours_live_and_endpoints():
    svc, deps, rss, pods, eps = cluster()
    apps = discover_apps([svc], deps, rss, pods, [eps])
    assert len(apps) == 1
    app = apps[0]
    assert (app.color_key, app.live_color, list(app.colors)) == ("version", "blue", ["blue", "green"])
    assert app.colors["green"].images == ["go-api:1.5.0"]
    assert app.colors["green"].ready == 3 and app.colors["green"].rollout_complete
    assert app.endpoints == sorted(p["metadata"]["name"] for p in pods if p["metadata"]["labels"]["version"] == "blue")


@pytest.mark.parametrize("key", ["version", "color", "slot"])
def test_colour_key_detection_for_known_keys(key):
    svc, deps, rss, pods, eps = cluster(key=key)
    assert detect_color_key(svc["spec"]["selector"], deps) == key


def test_unknown_colour_key_needs_two_distinct_values():
    deps = [deployment("a-x", "x", "a:1", app="a", key="lane"), deployment("a-y", "y", "a:2", app="a", key="lane")]
    assert detect_color_key({"app": "a", "lane": "x"}, deps) == "lane"
    assert detect_color_key({"app": "a", "lane": "x"}, deps[:1]) is None


def test_plain_service_is_not_an_app():
    svc = service()
    svc["spec"]["selector"] = {"app": "worker"}
    assert build_app(svc, [deployment("worker", "x", "w:1", app="worker")], [], []) is None


def test_terminating_and_unready_pods_are_not_ready():
    app = app_of(green_ready=2)
    assert app.colors["green"].ready == 2 and len(app.colors["green"].unready_pods) == 1


# -- preflight ------------------------------------------------------------------------------------


def test_preflight_passes_when_target_fully_ready():
    assert preflight_problems(app_of(), "green") == []


def test_preflight_refuses_target_with_fewer_replicas():
    problems = preflight_problems(app_of(green_replicas=2, green_ready=2), "green")
    assert any("scale green to at least 3" in p for p in problems)


def test_preflight_refuses_unready_target():
    problems = preflight_problems(app_of(green_ready=2), "green")
    assert any("not every pod" in p and "not ready" in p for p in problems)


def test_preflight_refuses_target_with_no_ready_pod():
    problems = preflight_problems(app_of(green_ready=0), "green")
    assert any("no ready pod" in p for p in problems)


def test_preflight_refuses_incomplete_rollout():
    svc, deps, rss, pods, eps = cluster()
    deps[1]["metadata"]["generation"] = 2  # spec changed, not yet observed
    problems = preflight_problems(build_app(svc, deps, rss, pods, eps), "green")
    assert any("rollout is not complete" in p for p in problems)


def test_preflight_refuses_same_colour_and_unknown_colour():
    assert "already selects blue" in preflight_problems(app_of(), "blue")[0]
    assert "colours found: blue, green" in preflight_problems(app_of(), "purple")[0]


def test_preflight_respects_a_fresh_lock_and_ignores_a_stale_one():
    now = datetime.now(UTC)
    fresh = Lock("abc", "alice", now.strftime("%Y-%m-%dT%H:%M:%SZ"), "green").dump()
    problems = preflight_problems(app_of(svc_annotations={ANN_LOCK: fresh}), "green", now=now)
    assert any("another cutover holds the lock" in p and "alice" in p for p in problems)
    old = Lock("abc", "alice", (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ"), "green").dump()
    assert preflight_problems(app_of(svc_annotations={ANN_LOCK: old}), "green", now=now) == []


def test_rollback_needs_a_recorded_colour_that_still_runs():
    target, problems = rollback_problems(app_of(live="green", blue_replicas=0, blue_ready=0))
    assert target is None and "no recorded previous colour" in problems[0]  # and no other ready colour
    target, problems = rollback_problems(app_of(live="green", svc_annotations={ANN_PREVIOUS: "blue"}))
    assert (target, problems) == ("blue", [])
    target, problems = rollback_problems(app_of(live="green", blue_replicas=0, blue_ready=0,
                                                svc_annotations={ANN_PREVIOUS: "blue"}))
    assert "scaled down" in problems[0]


# -- patches, applied with the sandbox's RFC 6902 implementation -------------------------------------


def test_switch_patch_changes_only_the_colour_key_and_records_the_switch():
    app = app_of()
    svc = cluster()[0]
    patch = switch_patch(app, "green", "100", "alice", "2026-11-25T00:00:00Z")
    out = json_patch(svc, patch)
    assert out["spec"]["selector"] == {"app": "go-api", "version": "green"}
    ann = out["metadata"]["annotations"]
    assert ann["gotui.dev/previous-color"] == "blue" and ann["gotui.dev/switched-by"] == "alice"
    assert ann["gotui.dev/switched-at"] == "2026-11-25T00:00:00Z"


def test_switch_patch_fails_on_a_changed_resource_version_or_selector():
    app = app_of()
    svc = cluster()[0]
    with pytest.raises(Exception, match="resourceVersion"):
        json_patch(svc, switch_patch(app, "green", "99", "alice", "t"))
    svc["spec"]["selector"]["version"] = "green"
    with pytest.raises(Exception, match="selector"):
        json_patch(svc, switch_patch(app, "green", "100", "alice", "t"))


def test_lock_then_unlock_round_trip_and_unlock_only_our_lock():
    svc = cluster()[0]
    lock = Lock("id1", "alice", "2026-11-25T00:00:00Z", "green")
    locked = json_patch(svc, lock_patch("100", lock, True))
    assert json.loads(locked["metadata"]["annotations"][ANN_LOCK])["id"] == "id1"
    svc2 = service()
    del svc2["metadata"]["annotations"]
    assert ANN_LOCK in json_patch(svc2, lock_patch("100", lock, False))["metadata"]["annotations"]
    assert ANN_LOCK not in json_patch(locked, unlock_patch(lock))["metadata"]["annotations"]
    other = Lock("id2", "bob", "2026-11-25T00:00:00Z", "green")
    with pytest.raises(Exception, match="test"):
        json_patch(locked, unlock_patch(other))


def test_revert_patch_restores_selector_and_previous_annotations():
    app = app_of()
    svc = cluster(svc_annotations={ANN_PREVIOUS: "green"})[0]
    switched = json_patch(svc, switch_patch(app, "green", "100", "alice", "t"))
    back = json_patch(switched, revert_patch(app, "blue", "green", {ANN_PREVIOUS: "green"}))
    assert back["spec"]["selector"]["version"] == "blue"
    assert back["metadata"]["annotations"] == {ANN_PREVIOUS: "green"}


def test_replicaset_fixture_is_current():
    dep = deployment("d", "blue", "i:1")
    rs = replicaset(dep, "h", "1")
    assert rs["metadata"]["ownerReferences"][0]["uid"] == dep["metadata"]["uid"]
