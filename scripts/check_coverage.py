#!/usr/bin/env python3
"""Coverage gate: fail unless lines >= 80% AND branches >= 60%, each computed on its own.

Usage: python scripts/check_coverage.py [coverage.json] [--lines 80] [--branches 60]
Reads the JSON report written by `coverage json`. Exits 0 when both gates pass, 1 when either is
below, 2 when the report is missing or has no branch data (branch coverage was not measured).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def figures(report: dict) -> tuple[float, float, dict]:
    """Line and branch percentages from a coverage.py JSON report's totals."""
    totals = report["totals"]
    statements = totals["num_statements"]
    lines = 100.0 * totals["covered_lines"] / statements if statements else 100.0
    if "num_branches" not in totals:
        raise KeyError("num_branches")
    branches_total = totals["num_branches"]
    branches = 100.0 * totals["covered_branches"] / branches_total if branches_total else 100.0
    return lines, branches, totals


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("report", nargs="?", default="coverage.json")
    parser.add_argument("--lines", type=float, default=80.0, help="minimum %% of lines (default 80)")
    parser.add_argument("--branches", type=float, default=60.0, help="minimum %% of branches (default 60)")
    args = parser.parse_args(argv)
    path = Path(args.report)
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
        lines, branches, totals = figures(report)
    except FileNotFoundError:
        print(f"coverage gate: {path} not found; run `coverage json` first", file=sys.stderr)
        return 2
    except (KeyError, ValueError) as exc:
        print(f"coverage gate: {path} has no usable totals ({exc}); was branch coverage on?", file=sys.stderr)
        return 2
    ok_lines = lines >= args.lines
    ok_branches = branches >= args.branches
    print(
        f"coverage gate: lines {lines:.1f}% ({totals['covered_lines']}/{totals['num_statements']}, "
        f"need {args.lines:g}%) {'ok' if ok_lines else 'BELOW'}; "
        f"branches {branches:.1f}% ({totals['covered_branches']}/{totals['num_branches']}, "
        f"need {args.branches:g}%) {'ok' if ok_branches else 'BELOW'}"
    )
    return 0 if ok_lines and ok_branches else 1


if __name__ == "__main__":
    sys.exit(main())
