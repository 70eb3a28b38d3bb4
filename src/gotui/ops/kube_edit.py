"""`e` edit, the `kubectl edit` contract without Textual: the object as YAML (managedFields dropped,
Secret `data` left base64 as kubectl does, behind kubectl's comment header), the editor's command
(`$KUBE_EDITOR`, `$EDITOR`, else `vi`, split like a shell), what the edited text means (unchanged,
invalid, or a new object carrying the resourceVersion it was read at), the diff shown before the
change, and the kept files (under the state dir, 0600) that hold an edit the server did not take.
"""

from __future__ import annotations

import copy
import difflib
import os
import re
import shlex
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gotui.config import state_dir
from gotui.ops.sanitize import sanitize_line

HEADER = ("# Please edit the object below. Lines beginning with a '#' will be ignored,\n"
          "# and an empty file will abort the edit. If an error occurs while saving this file will be\n"
          "# reopened with the relevant failures.\n"
          "#\n")
CONFLICT = "changed on the server since you opened it: re-open to edit the new version"


class EditConflict(Exception):
    """409 Conflict on the PUT: the object changed after it was read."""

    def __init__(self, kept: Path | None = None) -> None:
        self.kept = kept
        super().__init__(CONFLICT + (f" (your edit is kept in {kept}; e offers to reopen it)" if kept else ""))


def editor_argv(env: Mapping[str, str] | None = None) -> list[str]:
    """`$KUBE_EDITOR`, then `$EDITOR`, else `vi`, split with shell rules (`code --wait` works)."""
    env = os.environ if env is None else env
    for name in ("KUBE_EDITOR", "EDITOR"):
        value = (env.get(name) or "").strip()
        if value:
            argv = shlex.split(value)
            if argv:
                return argv
    return ["vi"]


def run_editor(path: Path, env: Mapping[str, str] | None = None) -> int:
    """Run the editor on `path` in the foreground (the caller gave it the terminal); its exit code."""
    return subprocess.run([*editor_argv(env), str(path)], check=False).returncode


def strip_object(obj: dict[str, Any]) -> dict[str, Any]:
    """A copy without `metadata.managedFields` (kubectl edit hides them too)."""
    out = copy.deepcopy(obj)
    meta = out.get("metadata")
    if isinstance(meta, dict):
        meta.pop("managedFields", None)
    return out


def dump(obj: dict[str, Any]) -> str:
    import yaml

    return yaml.safe_dump(obj, sort_keys=False, default_flow_style=False, allow_unicode=True, width=200)


def edit_text(obj: dict[str, Any]) -> str:
    """What the editor opens: the header, then the object as YAML."""
    return HEADER + dump(strip_object(obj))


def strip_comments(text: str) -> str:
    """The text without its whole-line `#` comments (column 0, so block scalars keep theirs)."""
    return "\n".join(line for line in text.splitlines() if not line.startswith("#")).strip()


def with_errors(text: str, errors: list[str]) -> str:
    """`text` behind a fresh comment block naming `errors` (the old leading comments replaced), as
    kubectl edit reopens a file it could not apply."""
    lines = text.splitlines()
    while lines and lines[0].startswith("#"):
        lines.pop(0)
    note = [f"# {sanitize_line(e, 400)}" for e in errors]
    return HEADER + "\n".join([*note, "#", *lines]) + "\n"


@dataclass
class Edit:
    """What the edited text means: `state` is "unchanged", "invalid" or "changed"."""

    state: str
    obj: dict[str, Any] | None = None  # the new object (changed)
    error: str = ""  # why it is invalid


_IDENTITY = (("apiVersion",), ("kind",), ("metadata", "name"), ("metadata", "namespace"))


def _at(obj: Any, path: tuple[str, ...]) -> Any:
    for part in path:
        obj = obj.get(part) if isinstance(obj, dict) else None
    return obj


def check_edit(original: dict[str, Any], edited_text: str) -> Edit:
    """Read the edited text against the object as it was read (`original`)."""
    import yaml

    base = strip_object(original)
    body = strip_comments(edited_text)
    if not body or body == strip_comments(dump(base)):
        return Edit("unchanged")
    try:
        new = yaml.safe_load(body)
    except yaml.YAMLError as exc:
        return Edit("invalid", error=f"the edited file is not valid YAML: {' '.join(str(exc).split())}")
    if not isinstance(new, dict) or not isinstance(new.get("metadata"), dict):
        return Edit("invalid", error="the edited file is not an object with metadata")
    for path in _IDENTITY:
        if _at(new, path) != _at(base, path):
            field = ".".join(path)
            return Edit("invalid", error=f"{field} may not change in an edit ({_at(base, path)!r} -> {_at(new, path)!r})")
    rv = _at(base, ("metadata", "resourceVersion"))
    new["metadata"]["resourceVersion"] = rv  # the PUT carries the version read: a change meanwhile is a 409
    if new == base:
        return Edit("unchanged")
    return Edit("changed", obj=new)


def diff_lines(original: dict[str, Any], new: dict[str, Any], context: int = 3) -> list[str]:
    """A unified diff of the YAML before and after, each line sanitized (shown as text, never markup)."""
    old_lines = dump(strip_object(original)).splitlines()
    new_lines = dump(strip_object(new)).splitlines()
    rv = _at(original, ("metadata", "resourceVersion"))
    out = difflib.unified_diff(old_lines, new_lines, f"server (resourceVersion {rv})", "edited", n=context,
                               lineterm="")
    return [sanitize_line(line, 300) for line in out]


# -- files --------------------------------------------------------------------------------------------

def edits_dir() -> Path:
    path = state_dir() / "edits"
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def _safe(part: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", part)[:80] or "_"


def kept_path(context: str | None, group_resource: str, namespace: str | None, name: str) -> Path:
    """Where an edit of this object that was not applied is kept."""
    parts = [context or "-", group_resource, namespace or "-", name]
    return edits_dir() / ("__".join(_safe(p) for p in parts) + ".yaml")


def write_private(path: Path, text: str) -> None:
    """Write `text` to `path`, readable by its owner only (an edit may hold a Secret)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)


def temp_file(text: str, name: str) -> Path:
    """A new 0600 file in the edits dir holding `text` (the editor's file)."""
    fd, raw = tempfile.mkstemp(prefix=f"edit-{_safe(name)}-", suffix=".yaml", dir=edits_dir())
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    return Path(raw)


def apply_edit(replace: Any, kept: Path, edited: str) -> Any:
    """Run `replace()` (the PUT at the read resourceVersion). A 409 raises `EditConflict(kept)`; any other
    refusal (invalid, forbidden...) keeps the edit in `kept` with the server's answer on top, as
    `kubectl edit` does, and re-raises. The edited text is never lost."""
    from kubernetes.client.exceptions import ApiException

    from gotui.ops.errors import describe_error

    try:
        return replace()
    except ApiException as exc:
        if exc.status == 409:
            raise EditConflict(kept) from exc
        write_private(kept, with_errors(edited, [f"The server refused it: {describe_error(exc)}"]))
        raise
