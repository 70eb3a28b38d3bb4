"""Pure parts of the Helm rollback guard: the selectors a revision renders, the change against the live
Service, the PREFLIGHT verdict and the dialog's lines."""

from __future__ import annotations

import pytest

from gotui.ops import helm
from gotui.ops.bluegreen import ANN_PREVIOUS, ANN_SWITCHED_AT, ANN_SWITCHED_BY, build_app
from gotui.ops.cutover import record_switch_patch
from gotui.ops.helm_guard import (
    change_problems,
    guard_detail,
    preflight,
    rendered_selectors,
    selector_changes,
)
from gotui.sandbox.controllers.helm import _manifest
from gotui.sandbox.patch import json_patch
from releases.objects import cluster


def revision(color: str = "blue", number: int = 2) -> helm.HelmRevision:
    return helm.HelmRevision("go-api", "shop", number, "superseded", "go-api-0.3.1", "1.4.0", "", "Upgrade complete",
                             manifest=_manifest("go-api", "shop", "1.4.0", color, 3))


def test_rendered_selectors_reads_every_service_of_the_manifest():
    assert rendered_selectors(revision().manifest, "shop") == {("shop", "go-api"): {"app": "go-api", "version": "blue"}}
    no_ns = "---\nkind: Service\nmetadata: {name: web}\nspec: {selector: {app: web}}\n---\nkind: Deployment\n"
    assert rendered_selectors(no_ns, "other") == {("other", "web"): {"app": "web"}}
    with pytest.raises(helm.HelmError, match="not valid YAML"):
        rendered_selectors("kind: [", "shop")


def test_a_colour_change_onto_a_scaled_down_colour_is_refused():
    svc, deps, rss, pods, eps = cluster(live="green", blue_replicas=0, blue_ready=0)
    app = build_app(svc, deps, rss, pods, eps)
    (change,) = selector_changes(revision(), [svc], pods, [app])
    assert (change.color_key, change.from_color, change.to_color, change.target_ready) == ("version", "green", "blue", 0)
    assert change.describe() == ("Service go-api: selector version green → blue (blue go-api-blue 0/0 ready; "
                                 "green 3 ready now)")
    (problem,) = change_problems(change, app, svc, 2)
    assert "revision 2 switches" in problem and "nothing would serve go-api" in problem
    assert preflight(revision(), [svc], pods, [app]) == ([change], [problem])


def test_a_colour_change_onto_a_ready_colour_goes_through_the_cutover_checks():
    svc, deps, rss, pods, eps = cluster(live="green")
    app = build_app(svc, deps, rss, pods, eps)
    (change,) = selector_changes(revision(), [svc], pods, [app])
    assert change.target_ready == 3 and change_problems(change, app, svc, 2) == []
    detail = guard_detail(2, [change])
    assert "⚠ SWITCHES Service go-api: selector version green → blue (blue go-api-blue 3/3 ready" in detail
    assert "PREFLIGHT" in detail and "VERIFY" in detail and "R goes back" in detail
    # one pod of blue not Ready: the cutover's PREFLIGHT says so
    svc, deps, rss, pods, eps = cluster(live="green", blue_ready=2)
    app = build_app(svc, deps, rss, pods, eps)
    (change,) = selector_changes(revision(), [svc], pods, [app])
    assert any("not Ready" in p or "not ready" in p for p in change_problems(change, app, svc, 2))


def test_no_change_when_the_revision_selects_the_live_colour():
    svc, deps, rss, pods, eps = cluster(live="blue")
    assert selector_changes(revision(), [svc], pods, [build_app(svc, deps, rss, pods, eps)]) == []
    assert "leaves every Service's selector as it is" in guard_detail(2, [])


def test_record_switch_patch_writes_the_cutover_annotations_only_on_the_target_colour():
    svc = cluster(live="blue")[0]
    patched = json_patch(svc, record_switch_patch("version", "green", "blue", "alice", "2026-12-01T00:00:00Z"))
    ann = patched["metadata"]["annotations"]
    assert (ann[ANN_PREVIOUS], ann[ANN_SWITCHED_BY], ann[ANN_SWITCHED_AT]) == ("green", "alice", "2026-12-01T00:00:00Z")
    bare = {"metadata": {"name": "go-api"}, "spec": {"selector": {"version": "blue"}}}
    assert json_patch(bare, record_switch_patch("version", "green", "blue", "a", "t", has_annotations=False))[
        "metadata"]["annotations"][ANN_PREVIOUS] == "green"
    with pytest.raises(Exception, match="selector"):  # the test op fails: the selector is not the target
        json_patch(cluster(live="green")[0], record_switch_patch("version", "green", "blue", "a", "t"))
