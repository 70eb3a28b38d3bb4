"""Settings: CLI flags > environment > ~/.config/gotui/config.yaml > defaults.

One `Settings` object is built at start-up and handed to the app and the headless commands.
Errors in the config file raise `ConfigError` with the file, the line when known, and the fix.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

DEFAULT_PROTECTED = r".*prod.*"


class ConfigError(Exception):
    """A configuration problem the user can fix; the message says where and how."""


def config_dir() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "gotui"


def state_dir() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "gotui"


def default_config_path() -> Path:
    return config_dir() / "config.yaml"


def default_audit_log() -> Path:
    return state_dir() / "audit.jsonl"


@dataclass
class Settings:
    """Everything gotui can be told, with where each value came from."""

    context: str | None = None
    namespace: str | None = None
    readonly: bool = False
    audit_log: Path = field(default_factory=default_audit_log)
    demo: bool = False
    kubeconfig: str | None = None
    docker_host: str | None = None
    protected_contexts: str = DEFAULT_PROTECTED
    theme: str = "auto"
    log_buffer_lines: int = 10_000
    log_tail_lines: int = 200
    keys: dict[str, str] = field(default_factory=dict)
    docker_commands: list[dict[str, Any]] = field(default_factory=list)
    smoke_path: str = "/healthz"
    config_path: Path | None = None
    sources: dict[str, str] = field(default_factory=dict)
    # where each value was set: "<file>, line N", "environment variable X" or "--flag"; keys of the
    # `keys:` mapping are recorded as "keys.<binding id>"
    origins: dict[str, str] = field(default_factory=dict)

    def where(self, name: str) -> str:
        """Where setting `name` (or `keys.<id>`) was given, for error messages."""
        if name in self.origins:
            return self.origins[name]
        head = name.split(".", 1)[0]
        return self.origins.get(head) or str(self.config_path or default_config_path())

    def is_protected(self, context: str | None) -> bool:
        """True when `context` matches the protected-context pattern."""
        if not context or not self.protected_contexts:
            return False
        try:
            return re.fullmatch(self.protected_contexts, context) is not None
        except re.error:
            return True  # a broken pattern errs on the safe side


_ENV = {
    "context": "GOTUI_CONTEXT",
    "namespace": "GOTUI_NAMESPACE",
    "readonly": "GOTUI_READONLY",
    "audit_log": "GOTUI_AUDIT_LOG",
    "demo": "GOTUI_DEMO",
    "kubeconfig": "KUBECONFIG",
    "docker_host": "DOCKER_HOST",
    "protected_contexts": "GOTUI_PROTECTED_CONTEXTS",
    "theme": "GOTUI_THEME",
    "log_buffer_lines": "GOTUI_LOG_BUFFER_LINES",
    "log_tail_lines": "GOTUI_LOG_TAIL_LINES",
    "smoke_path": "GOTUI_SMOKE_PATH",
}
ENV_NAMES = dict(_ENV)

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def validate_docker_commands(value: Any, origin: str) -> list[dict[str, Any]]:
    """`docker_commands:` is a list of {name, key, command, confirm: bool, scope: containers|images};
    the command may use {{.Name}}, {{.ID}} and {{.Image}} (shell-quoted when substituted)."""
    from gotui.ops.docker_commands import FIELDS, SCOPES, unknown_placeholders

    example = "e.g. `docker_commands: [{name: top, key: T, command: 'docker top {{.ID}}'}]`"
    if value is None:
        return []
    if not isinstance(value, list):
        raise ConfigError(f"{origin}: docker_commands must be a list of commands, {example}.")
    out: list[dict[str, Any]] = []
    for i, entry in enumerate(value, 1):
        where = f"{origin}: docker_commands entry {i}"
        if not isinstance(entry, dict):
            raise ConfigError(f"{where} must be a mapping with name, key and command, {example}.")
        extra = sorted(set(map(str, entry)) - {"name", "key", "command", "confirm", "scope"})
        if extra:
            raise ConfigError(f"{where}: unknown field {', '.join(extra)} (known: name, key, command, confirm, scope).")
        for required in ("name", "key", "command"):
            if not isinstance(entry.get(required), str) or not entry[required].strip():
                raise ConfigError(f"{where}: `{required}` is required and must be text.")
        if not isinstance(entry.get("confirm", False), bool):
            raise ConfigError(f"{where}: confirm must be true or false, not {entry['confirm']!r}.")
        scope = entry.get("scope", "containers")
        if scope not in SCOPES:
            raise ConfigError(f"{where}: scope must be one of {', '.join(SCOPES)}, not {scope!r}.")
        bad = unknown_placeholders(entry["command"])
        if bad:
            raise ConfigError(f"{where}: unknown placeholder {{{{.{bad[0]}}}}}; use "
                              + ", ".join("{{." + f + "}}" for f in FIELDS) + ".")
        out.append({"name": entry["name"].strip(), "key": entry["key"].strip(), "command": entry["command"],
                    "confirm": bool(entry.get("confirm", False)), "scope": scope})
    return out


def _coerce(name: str, value: Any, origin: str) -> Any:
    if name == "docker_commands":
        return validate_docker_commands(value, origin)
    kinds = {f.name: f.type for f in fields(Settings)}
    kind = str(kinds.get(name, "str"))
    if kind.startswith("bool"):
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise ConfigError(f"{origin}: {name} must be true or false, not {value!r}.")
    if kind.startswith("int"):
        try:
            number = int(value)
        except (TypeError, ValueError):
            raise ConfigError(f"{origin}: {name} must be a whole number, not {value!r}.") from None
        if number <= 0:
            raise ConfigError(f"{origin}: {name} must be positive, not {number}.")
        return number
    if kind.startswith("Path"):
        return Path(os.path.expanduser(str(value)))
    if kind.startswith("dict"):
        if not isinstance(value, dict) or not all(
            isinstance(k, str) and isinstance(v, (str, int)) and not isinstance(v, bool) for k, v in value.items()
        ):
            raise ConfigError(f"{origin}: {name} must be a mapping of binding id to key, e.g. `keys: {{pods.delete: ctrl+x}}`.")
        return {k: str(v) for k, v in value.items()}  # `pane.hpa: 3` is the key 3
    if name == "protected_contexts" and value is not None:
        try:
            re.compile(str(value))
        except re.error as exc:
            raise ConfigError(
                f"{origin}: protected_contexts is not a valid regular expression ({exc}); fix the pattern, "
                f"e.g. protected_contexts: \"{DEFAULT_PROTECTED}\" (quoted)."
            ) from None
    return None if value is None else str(value)


def load_config_file(path: Path) -> dict[str, Any]:
    """Read the YAML config file; a missing file is an empty config."""
    return read_config_file(path)[0]


def _line_numbers(text: str) -> dict[str, int]:
    """1-based line of each top-level setting, and of each entry under `keys:` as "keys.<id>"."""
    import yaml

    lines: dict[str, int] = {}
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    if not isinstance(root, yaml.MappingNode):
        return lines
    for key_node, value_node in root.value:
        name = str(key_node.value)
        lines[name] = key_node.start_mark.line + 1
        if name == "keys" and isinstance(value_node, yaml.MappingNode):
            for sub_key, _ in value_node.value:
                lines[f"keys.{sub_key.value}"] = sub_key.start_mark.line + 1
    return lines


def read_config_file(path: Path) -> tuple[dict[str, Any], dict[str, int]]:
    """The YAML config file's settings and the line of each (see `_line_numbers`); missing = empty."""
    import yaml

    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}, {}
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read it ({exc.strerror}). Fix its permissions or remove it.") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}, line {mark.line + 1}" if mark is not None else str(path)
        problem = getattr(exc, "problem", None) or "not valid YAML"
        raise ConfigError(
            f"{where}: {problem}. Fix the YAML there (or move the file away to start from defaults)."
        ) from None
    if data is None:
        return {}, {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the top level must be a mapping like `readonly: true`, not a {type(data).__name__}.")
    known = {f.name for f in fields(Settings)} - {"sources", "config_path", "demo", "origins"}
    lines = _line_numbers(text)
    unknown = sorted(set(map(str, data)) - known)
    if unknown:
        where = f"{path}, line {lines[unknown[0]]}" if unknown[0] in lines else str(path)
        raise ConfigError(
            f"{where}: unknown setting {', '.join(unknown)}. Known settings: {', '.join(sorted(known))}."
        )
    return data, lines


def build_settings(
    flags: dict[str, Any] | None = None,
    env: dict[str, str] | None = None,
    config_path: Path | None = None,
) -> Settings:
    """Merge defaults, config file, environment and flags (highest wins)."""
    env = dict(os.environ) if env is None else env
    path = config_path or (Path(env["GOTUI_CONFIG"]) if env.get("GOTUI_CONFIG") else default_config_path())
    settings = Settings(config_path=path)
    data, lines = read_config_file(path)
    settings.origins.update({name: f"{path}, line {line}" for name, line in lines.items()})
    for name, value in data.items():
        setattr(settings, name, _coerce(name, value, settings.where(name)))
        settings.sources[name] = "config"
    for name, var in _ENV.items():
        if var in env and env[var] != "":
            settings.origins[name] = f"environment variable {var}"
            setattr(settings, name, _coerce(name, env[var], settings.origins[name]))
            settings.sources[name] = "env"
    for name, value in (flags or {}).items():
        if value is None or value is False:
            continue  # an absent flag (or a store_true flag left off) never overrides
        settings.origins[name] = f"--{name.replace('_', '-')}"
        setattr(settings, name, _coerce(name, value, settings.origins[name]))
        settings.sources[name] = "flag"
    return settings
