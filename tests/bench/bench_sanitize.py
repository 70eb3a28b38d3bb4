#!/usr/bin/env python3
"""How many log lines per second the producer side prepares for the LogView (sanitize, keep SGR colours
as spans, split the timestamp), for plain, coloured and hostile lines. Prints JSON lines.

    python tests/bench/bench_sanitize.py [--lines 100000]
"""

from __future__ import annotations

import argparse
import json
import time

from gotui.ui.logview import prepare_lines

TS = "2026-11-25T04:00:00.123456789Z "
KINDS = {
    "plain": TS + 'level=info msg="GET /api/orders/123 200" took=12ms trace=4bf92f3577b34da6a3ce929d0e0e4736',
    "coloured": TS + "2026/11/25 04:00:00 \x1b[32mINFO\x1b[0m job done id=264182 type=resize-image \x1b[1;31mtook\x1b[22m=151ms\x1b[0m",
    "hostile": TS + "\x1b]52;c;ZXZpbA==\x07[bold]x[/bold] \x1b[2J\u202eevil\x00\x9b31m" + "é" * 20 + "\t\r",
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=100_000)
    args = parser.parse_args()
    for kind, line in KINDS.items():
        batch = [line] * 1000
        start = time.perf_counter()
        for _ in range(args.lines // 1000):
            prepare_lines(batch)
        seconds = time.perf_counter() - start
        print(json.dumps({"bench": "logview.prepare_lines", "kind": kind, "lines": args.lines,
                          "lines_per_s": round(args.lines / seconds)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
