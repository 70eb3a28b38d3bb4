"""Sandbox fault injection (/sandbox/v1/faults) over real HTTP: lost responses, resets, delays, 5xx."""

from __future__ import annotations

import http.client
import json
import time

import pytest

pytestmark = [pytest.mark.sandbox, pytest.mark.timeout(120)]

SVC = "/api/v1/namespaces/shop/services/go-api"


def raw(sb, method: str, path: str, body=None, content_type: str = "application/json", timeout: float = 10.0):
    """One request on a fresh connection: (status, JSON body), or the exception the client saw."""
    conn = sb.connection(timeout)
    try:
        data = None if body is None else json.dumps(body).encode()
        conn.request(method, path, body=data, headers={"Content-Type": content_type})
        resp = conn.getresponse()
        return resp.status, json.loads(resp.read() or b"null")
    except (OSError, http.client.HTTPException) as exc:
        return exc
    finally:
        conn.close()


def annotate(value: str) -> dict:
    return {"metadata": {"annotations": {"t/x": value}}}


def annotation(sb) -> str | None:
    return (sb.request("GET", SVC)[1]["metadata"].get("annotations") or {}).get("t/x")


def test_drop_applies_the_write_and_loses_the_answer(fresh_sandbox):
    sb = fresh_sandbox("quiet", 1)
    sb.set_faults([{"method": "PATCH", "path": "/services/go-api$", "effect": "drop"}])
    got = raw(sb, "PATCH", SVC, annotate("one"), "application/merge-patch+json")
    assert isinstance(got, (http.client.RemoteDisconnected, ConnectionError)), got
    assert annotation(sb) == "one"  # applied although the client never heard
    # count 1 (default): the next PATCH is answered
    assert raw(sb, "PATCH", SVC, annotate("two"), "application/merge-patch+json")[0] == 200
    assert [(r["matched"], r["fired"]) for r in sb.faults()] == [(2, 1)]


def test_reset_before_applying(fresh_sandbox):
    sb = fresh_sandbox("quiet", 1)
    sb.set_faults([{"method": "PATCH", "path": "go-api", "effect": "reset"}])
    got = raw(sb, "PATCH", SVC, annotate("lost"), "application/merge-patch+json")
    assert isinstance(got, (ConnectionResetError, http.client.RemoteDisconnected)), got
    assert annotation(sb) is None  # never applied


def test_error_replies_5xx_status_without_applying(fresh_sandbox):
    sb = fresh_sandbox("quiet", 1)
    sb.set_faults([{"method": "PATCH", "path": "go-api", "effect": "error", "status": 504}])
    status, body = raw(sb, "PATCH", SVC, annotate("no"), "application/merge-patch+json")
    assert status == 504 and body["kind"] == "Status" and body["code"] == 504
    assert annotation(sb) is None


def test_delay_then_serve_and_nth_count_window(fresh_sandbox):
    sb = fresh_sandbox("quiet", 1)
    # the 2nd and 3rd GET of the Service are delayed 300 ms; the 1st and 4th are not
    sb.set_faults([{"method": "GET", "path": "^/api/v1/namespaces/shop/services/go-api$", "effect": "delay",
                    "ms": 300, "nth": 2, "count": 2}])
    took = []
    for _ in range(4):
        t0 = time.monotonic()
        assert raw(sb, "GET", SVC)[0] == 200
        took.append(time.monotonic() - t0)
    assert took[1] >= 0.3 and took[2] >= 0.3, took
    assert took[0] < 0.3 and took[3] < 0.3, took
    # other paths and methods are not counted
    assert raw(sb, "GET", "/api/v1/namespaces/shop/pods")[0] == 200
    assert sb.faults()[0]["matched"] == 4 and sb.faults()[0]["fired"] == 2


def test_count_zero_fires_every_time_and_delete_clears(fresh_sandbox):
    sb = fresh_sandbox("quiet", 1)
    sb.set_faults([{"method": "GET", "path": "endpointslices", "effect": "error", "count": 0}])
    for _ in range(3):
        assert raw(sb, "GET", "/apis/discovery.k8s.io/v1/namespaces/shop/endpointslices")[0] == 503
    status, body = sb.request("DELETE", "/sandbox/v1/faults")
    assert status == 200 and body == {"rules": []}
    assert raw(sb, "GET", "/apis/discovery.k8s.io/v1/namespaces/shop/endpointslices")[0] == 200


def test_sandbox_paths_are_never_faulted_and_bad_rules_are_refused(fresh_sandbox):
    sb = fresh_sandbox("quiet", 1)
    sb.set_faults([{"path": ".*", "effect": "reset", "count": 0}])
    assert sb.request("GET", "/sandbox/v1/info")[0] == 200  # the control plane stays reachable
    assert isinstance(raw(sb, "GET", "/version"), OSError)
    for bad in ([{"effect": "explode"}], [{"effect": "error", "status": 404}], [{"effect": "drop", "nth": 0}],
                [{"effect": "drop", "path": "("}], [{"effect": "drop", "when": 1}], {"rules": 3}):
        status, body = sb.request("POST", "/sandbox/v1/faults", bad)
        assert status == 400 and body["reason"] == "BadRequest", (bad, body)
    assert len(sb.faults()) == 1  # a refused POST leaves the rules as they were
    sb.set_faults([])
    assert raw(sb, "GET", "/version")[0] == 200


def test_the_official_client_sees_a_lost_patch_answer_as_a_transport_error(fresh_sandbox):
    """urllib3 does not retry a PATCH: the caller gets a transport error (answer_lost) and must re-read."""
    from gotui.ops.kube_io import MERGE_PATCH, KubeError, KubeIO, answer_lost

    sb = fresh_sandbox("quiet", 1)
    io = KubeIO(sb.api_client)
    sb.set_faults([{"method": "PATCH", "path": "go-api$", "effect": "drop"}])
    with pytest.raises(Exception) as info:  # noqa: PT011 - which urllib3 class is checked just below
        io.patch("services", "shop", "go-api", annotate("x"), MERGE_PATCH)
    assert answer_lost(info.value) and not isinstance(info.value, KubeError), repr(info.value)
    assert annotation(sb) == "x"
    sb.set_faults([{"method": "PATCH", "path": "go-api$", "effect": "error", "status": 502}])
    with pytest.raises(KubeError) as err:
        io.patch("services", "shop", "go-api", annotate("y"), MERGE_PATCH)
    assert err.value.status == 502 and answer_lost(err.value) and annotation(sb) == "x"
