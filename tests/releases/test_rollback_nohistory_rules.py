"""`R` / `gotui rollback` when the last switch was not made by gotui (no usable previous-colour annotation):
the one other colour with ready pods is offered, and the dialog says why; otherwise nothing is guessed."""

from __future__ import annotations

from gotui.ops.bluegreen import ANN_PREVIOUS, build_app
from gotui.ops.cutover import cutover_action, rollback_note, rollback_problems
from releases.objects import cluster, deployment, pod, replicaset


def app_of(**kw):
    return build_app(*cluster(**kw))


def test_no_annotation_offers_the_only_other_ready_colour():
    app = app_of(live="green")
    assert rollback_problems(app) == ("blue", [])
    note = rollback_note(app)
    assert "no recorded previous colour" in note and "rolling back to blue" in note


def test_a_stale_annotation_naming_the_live_colour_counts_as_no_record():
    """gotui cut blue → green (previous blue), then someone switched back to blue by hand."""
    app = app_of(live="blue", svc_annotations={ANN_PREVIOUS: "blue"})
    assert rollback_problems(app) == ("green", [])
    assert "no recorded previous colour" in rollback_note(app) and "the live colour" in rollback_note(app)


def test_no_other_ready_colour_is_refused():
    target, problems = rollback_problems(app_of(live="green", blue_replicas=0, blue_ready=0))
    assert target is None and "no recorded previous colour" in problems[0] and "no other colour has ready pods" in problems[0]


def test_two_other_ready_colours_are_not_guessed():
    svc, deps, rss, pods, eps = cluster(live="green")
    red = deployment("go-api-red", "red", "go-api:1.6.0")
    rs_r = replicaset(red, "ccc", "1")
    app = build_app(svc, deps + [red], rss + [rs_r], pods + [pod(rs_r, i) for i in range(3)], eps)
    target, problems = rollback_problems(app)
    assert target is None and "blue, red" in problems[0] and "cutover --to" in problems[0]
    assert rollback_note(app) == ""


def test_a_recorded_previous_colour_is_used_without_a_note():
    app = app_of(live="green", svc_annotations={ANN_PREVIOUS: "blue"})
    assert rollback_problems(app) == ("blue", []) and rollback_note(app) == ""


def test_the_dialog_names_the_choice_even_when_the_caller_does_not_know_it():
    """Headless `gotui rollback` builds the Action with the annotation's colour, which is missing ("?")."""
    action = cutover_action("shop", "go-api", "green", "?", "ctx", rollback=True, app=app_of(live="green"))
    assert action.params["to"] == "blue"
    assert action.detail.startswith("ROLLBACK  green → blue")
    assert "no recorded previous colour" in action.detail and "rolling back to blue" in action.detail
