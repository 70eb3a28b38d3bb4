"""Pure rollout maths: history from ReplicaSets, kubectl's undo patch, restart and scale patches."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from gotui.config import Settings
from gotui.ops import rollout
from gotui.ops.safety import ActionRefused
from gotui.sandbox.patch import json_patch
from releases.objects import deployment, replicaset


def three_revisions():
    dep = deployment("go-api-blue", "blue", "go-api:1.4.4", revision="3",
                     annotations={"kubernetes.io/change-cause": "tag 1.4.4",
                                  "kubectl.kubernetes.io/last-applied-configuration": "{}"})
    rss = [
        replicaset(dep, "h1", "1", image="go-api:1.4.2", replicas=0, annotations={"kubernetes.io/change-cause": "first"}),
        replicaset(dep, "h2", "2", image="go-api:1.4.3", replicas=0,
                   annotations={"kubernetes.io/change-cause": "tag 1.4.3", "deployment.kubernetes.io/desired-replicas": "3"}),
        replicaset(dep, "h3", "3", image="go-api:1.4.4", annotations={"kubernetes.io/change-cause": "tag 1.4.4"}),
    ]
    foreign = replicaset(deployment("other", "blue", "x:1", uid="uid-other"), "zz", "9")
    return dep, rss + [foreign]


def test_history_is_the_owned_replicasets_by_revision():
    dep, rss = three_revisions()
    revs = rollout.history(dep, list(reversed(rss)))
    assert [r.number for r in revs] == [1, 2, 3]
    assert [r.images for r in revs] == [["go-api:1.4.2"], ["go-api:1.4.3"], ["go-api:1.4.4"]]
    assert rollout.history_table(revs).splitlines() == ["REVISION  CHANGE-CAUSE", "1         first",
                                                        "2         tag 1.4.3", "3         tag 1.4.4"]


def test_pick_revision_like_kubectl():
    dep, rss = three_revisions()
    revs = rollout.history(dep, rss)
    assert rollout.pick_revision(revs, 0).number == 2  # the previous one
    assert rollout.pick_revision(revs, 1).number == 1
    with pytest.raises(rollout.RolloutError, match="unable to find specified revision 7"):
        rollout.pick_revision(revs, 7)
    with pytest.raises(rollout.RolloutError, match="no rollout history"):
        rollout.pick_revision([], 0)


def test_undo_patch_is_kubectls():
    dep, rss = three_revisions()
    rev1 = rollout.pick_revision(rollout.history(dep, rss), 1)
    patch = rollout.undo_patch(dep, rev1)
    assert [op["path"] for op in patch] == ["/spec/template", "/metadata/annotations"]
    template = patch[0]["value"]
    assert "pod-template-hash" not in template["metadata"]["labels"]
    assert template["spec"]["containers"][0]["image"] == "go-api:1.4.2"
    ann = patch[1]["value"]
    # the Deployment's own skipped annotations stay; the RS's others are copied; its revision is not
    assert ann == {"deployment.kubernetes.io/revision": "3",
                   "kubectl.kubernetes.io/last-applied-configuration": "{}",
                   "kubernetes.io/change-cause": "first"}
    out = json_patch(dep, patch)
    assert out["spec"]["template"]["spec"]["containers"][0]["image"] == "go-api:1.4.2"


def test_undo_skips_when_template_already_matches_and_refuses_paused():
    dep, rss = three_revisions()
    rev3 = rollout.pick_revision(rollout.history(dep, rss), 3)
    assert rollout.undo_patch(dep, rev3) is None
    dep["spec"]["paused"] = True
    with pytest.raises(rollout.RolloutError, match="paused"):
        rollout.undo_patch(dep, rollout.pick_revision(rollout.history(dep, rss), 1))


def test_restart_and_scale_patches():
    now = datetime(2026, 11, 25, 1, 2, 3, tzinfo=UTC)
    assert rollout.restart_patch(now) == {"spec": {"template": {"metadata": {"annotations": {
        "kubectl.kubernetes.io/restartedAt": "2026-11-25T01:02:03Z"}}}}}
    assert rollout.scale_patch(0) == {"spec": {"replicas": 0}}
    with pytest.raises(rollout.RolloutError):
        rollout.scale_patch(-1)


def test_mutations_refused_in_read_only_mode_before_any_io():
    settings = Settings(readonly=True)
    for call in (lambda: rollout.undo(None, settings, "shop", "d", 1), lambda: rollout.restart(None, settings, "shop", "d"),
                 lambda: rollout.scale(None, settings, "shop", "d", 2)):
        with pytest.raises(ActionRefused):
            call()


def test_scale_modal_says_what_the_hpa_will_do():
    hpa = {"metadata": {"name": "api"}, "spec": {"minReplicas": 2, "maxReplicas": 6}}
    assert rollout.hpa_scale_note(None, 3) == ""
    assert "min 2, max 6): 9 is above its maximum" in rollout.hpa_scale_note(hpa, 9)
    assert "1 is below its minimum" in rollout.hpa_scale_note(hpa, 1)
    assert "within its range, then it follows the load" in rollout.hpa_scale_note(hpa, 4)
    assert "stops scaling it while it has 0 replicas" in rollout.hpa_scale_note(hpa, 0)
    action = rollout.scale_action("shop", "api", 9, "ctx", 3, hpa=hpa)
    assert action.detail.startswith("Set replicas to 9 (now 3). ⚠ HPA api manages it")
    assert rollout.scale_action("shop", "api", 9, "ctx", 3).detail == "Set replicas to 9 (now 3)."
