"""ops/kube_edit.py: the editor command, what an edited text means, the error block, the diff as inert
text, the kept files (0600)."""

from __future__ import annotations

import base64
import stat

from gotui.ops import kube_edit as ke
from gotui.ui.confirm import diff_text

CM = {"apiVersion": "v1", "kind": "ConfigMap",
      "metadata": {"name": "app", "namespace": "shop", "resourceVersion": "41",
                   "managedFields": [{"manager": "kubectl", "operation": "Update"}]},
      "data": {"color": "red"}}


def test_editor_order_and_shell_split():
    assert ke.editor_argv({"KUBE_EDITOR": "code --wait", "EDITOR": "nano"}) == ["code", "--wait"]
    assert ke.editor_argv({"KUBE_EDITOR": "  ", "EDITOR": "'/opt/my editor/ed' -x"}) == ["/opt/my editor/ed", "-x"]
    assert ke.editor_argv({}) == ["vi"]


def test_text_drops_managed_fields_and_keeps_secret_base64():
    text = ke.edit_text(CM)
    assert text.startswith(ke.HEADER) and "managedFields" not in text and "color: red" in text
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": "shop"},
              "data": {"pw": base64.b64encode(b"hunter2").decode()}}
    assert "aHVudGVyMg==" in ke.edit_text(secret) and "hunter2" not in ke.edit_text(secret)


def test_check_edit_states():
    text = ke.edit_text(CM)
    assert ke.check_edit(CM, text).state == "unchanged"
    assert ke.check_edit(CM, "# only comments\n").state == "unchanged"  # an empty file aborts
    assert ke.check_edit(CM, text.replace("\ndata:", "\n# a note\ndata:")).state == "unchanged"
    bad = ke.check_edit(CM, "data: [oops\n")
    assert bad.state == "invalid" and "not valid YAML" in bad.error
    renamed = ke.check_edit(CM, text.replace("name: app", "name: other"))
    assert renamed.state == "invalid" and "metadata.name may not change" in renamed.error
    kind = ke.check_edit(CM, text.replace("kind: ConfigMap", "kind: Secret"))
    assert kind.state == "invalid" and "kind" in kind.error
    changed = ke.check_edit(CM, text.replace("color: red", "color: blue").replace("'41'", "'99'"))
    assert changed.state == "changed" and changed.obj is not None
    assert changed.obj["data"] == {"color": "blue"}
    assert changed.obj["metadata"]["resourceVersion"] == "41"  # the version read, whatever the file says


def test_errors_replace_the_old_comment_block():
    once = ke.with_errors("# old\n# lines\ndata: [x\n", ["first problem"])
    twice = ke.with_errors(once, ["second\x1b[31m problem"])
    assert twice.startswith(ke.HEADER) and "first problem" not in twice and "# old" not in twice
    assert "\x1b" not in twice and "second" in twice and twice.rstrip().endswith("data: [x")


def test_diff_is_sanitized_inert_text():
    new = {**CM, "data": {"color": "[bold red]blue\x1b[2J"}}
    lines = ke.diff_lines(CM, new)
    assert lines[0].startswith("--- server") and any(line.startswith("-  color: red") for line in lines)
    assert not any("\x1b" in line for line in lines)
    rendered = diff_text(lines)
    assert "[bold red]blue" in rendered.plain  # markup stays text
    assert "managedFields" not in rendered.plain


def test_kept_files_are_private(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    path = ke.kept_path("ctx/with:odd", "deployments.apps", "shop", "web")
    assert path.parent == tmp_path / "gotui" / "edits" and "/" not in path.name
    ke.write_private(path, "x: 1\n")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    temp = ke.temp_file("y: 2\n", "web")
    assert stat.S_IMODE(temp.stat().st_mode) == 0o600 and temp.read_text() == "y: 2\n"


def test_edit_keys_are_in_the_registry():
    from gotui.ui import keys

    reg = keys.registry()
    assert reg["resource.edit"].binding.key == "e" and reg["pods.edit"].binding.key == "e"
    assert {"edit.reopen", "edit.fresh", "edit.cancel"} <= reg.keys()
