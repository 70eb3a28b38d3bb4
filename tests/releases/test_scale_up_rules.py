"""Pure parts of the SCALE step: the plan, its description, the HPA and replica patches, readiness."""

from __future__ import annotations

import pytest

from gotui.ops.bluegreen import build_app
from gotui.ops.cutover import Step, can_transition, cutover_action, preflight_problems
from gotui.ops.scale_up import (
    ANN_MIN_BEFORE,
    hpa_for,
    hpa_raise_patch,
    hpa_restore_patch,
    not_ready_yet,
    plan_scale_up,
    replicas_restore_patch,
)
from gotui.sandbox.errors import ApiError
from gotui.sandbox.patch import json_patch
from releases.objects import cluster


def app_of(**kw):
    return build_app(*cluster(**kw))


def hpa(target: str, min_r: int = 2, max_r: int = 10, annotations=None) -> dict:
    meta = {"name": target, "namespace": "shop"}
    if annotations is not None:
        meta["annotations"] = annotations
    return {"metadata": meta, "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": target},
                                       "minReplicas": min_r, "maxReplicas": max_r}}


def test_scale_sits_between_preflight_and_smoke_and_may_stop_before_switch():
    assert can_transition(Step.PREFLIGHT, Step.SCALE) and can_transition(Step.SCALE, Step.SMOKE)
    assert can_transition(Step.SCALE, Step.REFUSED) and can_transition(Step.SCALE, Step.CANCELLED)
    assert not can_transition(Step.SCALE, Step.SWITCH) and not can_transition(Step.SCALE, Step.REVERT)


def test_plan_raises_replicas_and_hpa_min_and_describes_it():
    app = app_of(green_replicas=2, green_ready=2)
    plan = plan_scale_up(app, "green", [hpa("go-api-blue"), hpa("go-api-green")])
    assert plan is not None and (plan.replicas_from, plan.replicas_to) == (2, 3)
    assert plan.hpa == "go-api-green" and (plan.hpa_min_from, plan.hpa_min_to) == (2, 3)
    assert plan.describe() == "will first scale green 2 → 3 (and raise its HPA minReplicas 2 → 3)"
    assert plan.problem() is None
    # an HPA whose minimum is already high enough is left alone; no HPA: only the replicas
    assert not plan_scale_up(app, "green", [hpa("go-api-green", min_r=3)]).raises_hpa
    assert plan_scale_up(app, "green", []).describe() == "will first scale green 2 → 3"
    # a maximum below the live count cannot be honoured
    assert "maxReplicas" in plan_scale_up(app, "green", [hpa("go-api-green", max_r=2)]).problem()


def test_no_plan_when_enough_replicas_or_scaled_to_zero():
    assert plan_scale_up(app_of(), "green", [hpa("go-api-green")]) is None
    assert plan_scale_up(app_of(green_replicas=0, green_ready=0), "green", []) is None
    assert hpa_for([hpa("go-api-green")], "other", "go-api-green") is None


def test_preflight_allows_a_short_target_only_with_scale_up_and_names_the_option():
    app = app_of(green_replicas=2, green_ready=2)
    (problem,) = preflight_problems(app, "green")
    assert "scale green to at least 3 first" in problem and "--scale-up" in problem and "key C" in problem
    assert preflight_problems(app, "green", scale_up=True) == []
    # scaled to zero stays a refusal (no ready pod), scale-up or not
    assert preflight_problems(app_of(green_replicas=0, green_ready=0), "green", scale_up=True)


def test_modal_detail_mentions_the_scale_up():
    app = app_of(green_replicas=2, green_ready=2)
    plan = plan_scale_up(app, "green", [hpa("go-api-green")])
    action = cutover_action("shop", "go-api", "blue", "green", "ctx", app=app, scale_plan=plan)
    assert "will first scale green 2 → 3 (and raise its HPA minReplicas 2 → 3)" in action.detail
    assert "PREFLIGHT → SCALE → SMOKE" in action.detail and action.params["scale_up"] is True
    assert "SCALE" not in cutover_action("shop", "go-api", "blue", "green", "ctx", app=app).detail


def test_hpa_patches_raise_annotate_and_restore():
    app = app_of(green_replicas=2, green_ready=2)
    obj = hpa("go-api-green")
    plan = plan_scale_up(app, "green", [obj])
    patch, annotated = hpa_raise_patch(obj, plan)
    raised = json_patch(obj, patch)
    assert annotated and raised["spec"]["minReplicas"] == 3 and raised["metadata"]["annotations"][ANN_MIN_BEFORE] == "2"
    restored = json_patch(raised, hpa_restore_patch(plan, annotated))
    assert restored["spec"]["minReplicas"] == 2 and ANN_MIN_BEFORE not in restored["metadata"]["annotations"]
    # the raise is conditional on the minimum read at planning time
    with pytest.raises(ApiError):
        json_patch(hpa("go-api-green", min_r=1), patch)
    # the restore leaves a minimum someone else changed since
    with pytest.raises(ApiError):
        json_patch({**raised, "spec": {**raised["spec"], "minReplicas": 5}}, hpa_restore_patch(plan, annotated))
    # an annotation left by an earlier scale-up keeps the true original
    old = hpa("go-api-green", annotations={ANN_MIN_BEFORE: "1"})
    patch2, annotated2 = hpa_raise_patch(old, plan)
    assert not annotated2 and json_patch(old, patch2)["metadata"]["annotations"][ANN_MIN_BEFORE] == "1"


def test_replicas_restore_is_conditional():
    plan = plan_scale_up(app_of(green_replicas=2, green_ready=2), "green", [])
    assert json_patch({"spec": {"replicas": 3}}, replicas_restore_patch(plan)) == {"spec": {"replicas": 2}}
    with pytest.raises(ApiError):
        json_patch({"spec": {"replicas": 5}}, replicas_restore_patch(plan))


def test_not_ready_yet_until_every_pod_of_the_current_replicaset_is_ready():
    assert not_ready_yet(app_of().colors["green"], 3) is None
    assert "spec.replicas is 2" in not_ready_yet(app_of(green_replicas=2, green_ready=2).colors["green"], 3)
    assert "not Ready" in not_ready_yet(app_of(green_ready=2).colors["green"], 3)
    assert not_ready_yet(None, 3) == "the Deployment is gone"
