"""Helm storage decoding on bytes produced exactly as Helm produces them (no sandbox needed)."""

from __future__ import annotations

import base64
import gzip
import json

import pytest

from gotui.ops import helm

RELEASE = {
    "name": "shop-api", "namespace": "shop", "version": 4,
    "info": {"first_deployed": "2026-11-01T10:00:00Z", "last_deployed": "2026-11-24T10:00:00Z",
             "status": "pending-upgrade", "description": "Upgrade \"shop-api\""},
    "chart": {"metadata": {"name": "shop-api", "version": "1.2.3", "appVersion": "2.0.0"}},
    "config": {"replicaCount": 5, "image": {"tag": "2.0.0"}},
    "manifest": "---\n# Source: shop-api/templates/deployment.yaml\nkind: Deployment\n",
}


def helm_secret(release: dict, *, compress: bool = True, labels: dict | None = None) -> dict:
    """A Secret as the API returns it for Helm's secrets driver (pkg/storage/driver/secrets.go)."""
    raw = json.dumps(release).encode()
    helm_payload = base64.b64encode(gzip.compress(raw, compresslevel=9) if compress else raw)  # encodeRelease
    wire = base64.b64encode(helm_payload).decode()  # Secret data is []byte: the API base64s it again
    name, rev = release["name"], release["version"]
    return {
        "metadata": {"name": f"sh.helm.release.v1.{name}.v{rev}", "namespace": release["namespace"],
                     "labels": labels or {"name": name, "owner": "helm", "status": release["info"]["status"], "version": str(rev)}},
        "type": "helm.sh/release.v1",
        "data": {"release": wire},
    }


def test_decode_twice_gunzip_json():
    assert helm.decode_secret(helm_secret(RELEASE)) == RELEASE


def test_uncompressed_legacy_release_is_decoded_too():
    assert helm.decode_secret(helm_secret(RELEASE, compress=False)) == RELEASE


def test_encode_release_matches_helm_and_round_trips():
    payload = helm.encode_release(RELEASE)
    assert base64.b64decode(payload)[:3] == b"\x1f\x8b\x08"
    assert helm.decode_release_payload(payload) == RELEASE


def test_revision_fields_and_pending_flag():
    rev = helm.revision_from_secret(helm_secret(RELEASE))
    assert (rev.name, rev.namespace, rev.revision, rev.status) == ("shop-api", "shop", 4, "pending-upgrade")
    assert (rev.chart, rev.app_version, rev.updated) == ("shop-api-1.2.3", "2.0.0", "2026-11-24T10:00:00Z")
    assert rev.pending and rev.values["replicaCount"] == 5 and "kind: Deployment" in rev.manifest


def test_corrupt_secret_is_reported_not_raised():
    sec = helm_secret(RELEASE)
    sec["data"]["release"] = base64.b64encode(b"bm90IGd6aXA=").decode()  # base64 of "not gzip", not JSON
    rev = helm.revision_from_secret(sec)
    assert rev.error and "not JSON" in rev.error and rev.revision == 4


def test_releases_groups_sorts_and_ignores_other_secrets():
    r1 = dict(RELEASE, version=1, info=dict(RELEASE["info"], status="superseded"))
    r2 = dict(RELEASE, version=2, info=dict(RELEASE["info"], status="deployed"))
    other = {"metadata": {"name": "x", "namespace": "shop", "labels": {"owner": "me"}}, "type": "Opaque", "data": {}}
    out = helm.releases([helm_secret(r2), other, helm_secret(r1)])
    assert list(out) == [("shop", "shop-api")]
    assert [r.revision for r in out[("shop", "shop-api")]] == [1, 2]
    assert helm.latest(out[("shop", "shop-api")]).revision == 2
    table = helm.history_table(out[("shop", "shop-api")])
    assert table.splitlines()[0].split("\t")[0].strip() == "REVISION" and "superseded" in table


def test_helm_not_installed_gives_a_clear_message(monkeypatch, tmp_path):
    from gotui.config import Settings

    monkeypatch.delenv("GOTUI_HELM", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert helm.find_helm() is None
    with pytest.raises(helm.HelmNotInstalled, match="helm is not installed.*GOTUI_HELM"):
        helm.rollback(Settings(audit_log=tmp_path / "a.jsonl"), "go-api", 2, "shop")


def test_helm_rollback_refused_in_read_only_mode(tmp_path):
    from gotui.config import Settings
    from gotui.ops.safety import ActionRefused

    with pytest.raises(ActionRefused, match="read-only"):
        helm.rollback(Settings(readonly=True), "go-api", 2, "shop", helm="/bin/false")
