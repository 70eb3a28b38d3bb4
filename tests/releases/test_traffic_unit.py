"""How the traffic meter names the version of an answer."""

from gotui.ops.traffic import TrafficSnapshot, version_of


def test_version_of_json_and_text():
    assert version_of(b'{"version": "1.5.0", "pod": "p"}') == "1.5.0"
    assert version_of(b'{"color": "green", "version": "1.5.0"}') == "green"
    assert version_of(b"v2\n") == "v2"
    assert version_of(b"\x1b[31mred\x1b[0m") == "red"  # sanitized


def test_last_seconds_skips_the_running_second():
    snap = TrafficSnapshot(3, 3, 0, {}, {}, seconds=[{"a": 1}, {"b": 2}, {"b": 9}])
    assert snap.last_seconds(1) == {"b": 2}
    assert snap.last_seconds(2) == {"a": 1, "b": 2}
