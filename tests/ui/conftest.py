"""UI tests never read or write the operator's remembered context/namespace."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def isolated_state(tmp_path, monkeypatch):  # noqa: ANN001, ANN201
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
