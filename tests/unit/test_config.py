"""Settings precedence and config-file errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from gotui.config import ConfigError, Settings, build_settings


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(text)
    return path


def test_defaults_when_no_file(tmp_path: Path) -> None:
    s = build_settings({}, env={}, config_path=tmp_path / "missing.yaml")
    assert s.readonly is False
    assert s.protected_contexts == ".*prod.*"
    assert s.audit_log.name == "audit.jsonl"
    assert s.log_buffer_lines == 10_000


def test_flags_beat_env_beat_file(tmp_path: Path) -> None:
    path = write(tmp_path, "namespace: from-file\ncontext: file-ctx\nreadonly: false\n")
    env = {"GOTUI_NAMESPACE": "from-env", "GOTUI_READONLY": "1"}
    s = build_settings({"namespace": "from-flag"}, env=env, config_path=path)
    assert s.namespace == "from-flag"
    assert s.sources["namespace"] == "flag"
    assert s.context == "file-ctx" and s.sources["context"] == "config"
    assert s.readonly is True and s.sources["readonly"] == "env"


def test_absent_store_true_flag_does_not_override_env(tmp_path: Path) -> None:
    s = build_settings({"readonly": None, "demo": False}, env={"GOTUI_READONLY": "yes"}, config_path=tmp_path / "x")
    assert s.readonly is True


def test_audit_log_env_twin(tmp_path: Path) -> None:
    s = build_settings({}, env={"GOTUI_AUDIT_LOG": str(tmp_path / "a.jsonl")}, config_path=tmp_path / "x")
    assert s.audit_log == tmp_path / "a.jsonl"


def test_broken_yaml_names_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, "readonly: true\nkeys: [unclosed\nnamespace: x\n")
    with pytest.raises(ConfigError) as err:
        build_settings({}, env={}, config_path=path)
    message = str(err.value)
    assert str(path) in message
    assert "line" in message
    assert "Fix" in message


def test_unknown_setting_lists_known_ones(tmp_path: Path) -> None:
    path = write(tmp_path, "namespce: shop\n")
    with pytest.raises(ConfigError, match="unknown setting namespce"):
        build_settings({}, env={}, config_path=path)


def test_bad_bool_in_env_is_explained(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="GOTUI_READONLY"):
        build_settings({}, env={"GOTUI_READONLY": "maybe"}, config_path=tmp_path / "x")


def test_top_level_must_be_mapping(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="mapping"):
        build_settings({}, env={}, config_path=write(tmp_path, "- a\n- b\n"))


def test_keys_must_be_a_mapping(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="keys"):
        build_settings({}, env={}, config_path=write(tmp_path, "keys: ctrl+x\n"))
    s = build_settings({}, env={}, config_path=write(tmp_path, "keys:\n  pods.delete: ctrl+x\n"))
    assert s.keys == {"pods.delete": "ctrl+x"}


def test_numbers_are_validated(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="whole number"):
        build_settings({}, env={"GOTUI_LOG_BUFFER_LINES": "lots"}, config_path=tmp_path / "x")
    with pytest.raises(ConfigError, match="positive"):
        build_settings({}, env={}, config_path=write(tmp_path, "log_tail_lines: 0\n"))


@pytest.mark.parametrize(
    ("pattern", "context", "expected"),
    [(".*prod.*", "eu-prod-1", True), (".*prod.*", "staging", False), ("(", "prod", True), ("", "prod", False)],
)
def test_protected_contexts(pattern: str, context: str, expected: bool) -> None:
    assert Settings(protected_contexts=pattern).is_protected(context) is expected
