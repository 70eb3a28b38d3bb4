"""`gotui rollback SERVICE`: cut a Service back to its recorded previous colour (same checks as a
cutover; refused when that colour has been scaled down). With no recorded previous colour (the last switch
was not made by gotui), the target is the one other colour with ready pods, and the prompt says so. With
`--scale-up`, a previous colour that its HPA shrank below the live colour's replicas is scaled back up first.
Exit codes as `gotui cutover`."""

from __future__ import annotations

import argparse
from typing import Any

from gotui.commands.cutover import execute
from gotui.config import Settings


def run(args: argparse.Namespace, settings: Settings, **streams: Any) -> int:
    """Entry point of `gotui rollback`."""
    return execute(args, settings, rollback=True, **streams)
