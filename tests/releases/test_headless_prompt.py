"""The headless confirmation: ask on a terminal, refuse without one, typed name on protected contexts."""

from __future__ import annotations

import io

from gotui.commands.cutover import confirm
from gotui.config import Settings
from gotui.ops.cutover import cutover_action


class Terminal(io.StringIO):
    """Text typed at a terminal (isatty True), as the prompt reads it."""

    def isatty(self) -> bool:
        return True


def action(context="gotui-sandbox"):
    return cutover_action("shop", "go-api", "blue", "green", context)


def test_yes_skips_the_question():
    assert confirm(action(), Settings(), True, stdin=io.StringIO(""), out=io.StringIO()) == (True, "")


def test_no_terminal_refuses():
    go, why = confirm(action(), Settings(), False, stdin=io.StringIO("y\n"), out=io.StringIO())
    assert not go and "--yes" in why


def test_terminal_answers():
    out = io.StringIO()
    assert confirm(action(), Settings(), False, stdin=Terminal("y\n"), out=out)[0]
    assert "Proceed? [y/N]" in out.getvalue() and "cutover service shop/go-api" in out.getvalue()
    assert not confirm(action(), Settings(), False, stdin=Terminal("\n"), out=io.StringIO())[0]


def test_protected_context_needs_the_typed_name():
    prod = action("prod-eu")
    assert not confirm(prod, Settings(), False, stdin=Terminal("y\n"), out=io.StringIO())[0]
    assert confirm(prod, Settings(), False, stdin=Terminal("go-api\n"), out=io.StringIO())[0]
