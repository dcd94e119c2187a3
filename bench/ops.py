"""Benchmark driver: mustknow's ops against PyTorch's, forward+backward time and peak memory.

Discovers every ``bench/cases_*.py`` (each exports ``CASES: list[Case]``), runs
the cases with :mod:`_harness` (interleaved timing, medians, memory probes in
fresh subprocesses) and prints a markdown table. Ratios are ours / peer,
measured in the same run; absolute times depend on the machine and its load.

Usage::

    python bench/ops.py                       # every case, each at its own sizes
    python bench/ops.py --only activations    # a group (or a case name, or a substring)
    python bench/ops.py --sizes 1e4 4e6 --repeats 31 --no-memory --threads 2
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import load_cases, markdown_table, run_cases  # noqa: E402

BENCH_DIR = Path(__file__).resolve().parent


def _size(text: str) -> int:
    """Parse ``"4e6"`` or ``"4000000"`` as an element count."""
    value = float(text)
    if value < 1 or value != int(value):
        raise argparse.ArgumentTypeError(f"size must be a positive whole number; got {text!r}")
    return int(value)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", default=None,
                        help="run cases whose name or group contains one of these strings")
    parser.add_argument("--sizes", nargs="+", type=_size, default=None,
                        help="element counts (default: each case's own, 1e4 and 4e6 for activations)")
    parser.add_argument("--repeats", type=int, default=21, help="timed repeats per implementation (default 21)")
    parser.add_argument("--no-memory", action="store_true", help="skip the peak-memory probes")
    parser.add_argument("--threads", type=int, default=2, help="torch intra-op threads (default 2)")
    args = parser.parse_args(argv)
    if args.repeats < 1 or args.threads < 1:
        parser.error("--repeats and --threads must be >= 1")

    found = load_cases(sorted(BENCH_DIR.glob("cases_*.py")))
    selected = [
        (source, case)
        for source, cases in found
        for case in cases
        if args.only is None or any(key in case.name or key == case.group for key in args.only)
    ]
    if not selected:
        names = ", ".join(case.name for _, cases in found for case in cases)
        parser.error(f"--only {args.only} matches no case; cases: {names}")

    print(f"torch {torch.__version__}, {args.threads} thread(s), {args.repeats} repeats, median times; "
          f"ratio = ours / peer", file=sys.stderr)
    rows = run_cases(selected, args.sizes, args.repeats, not args.no_memory, args.threads,
                     progress=lambda line: print(f"  {line}", file=sys.stderr, flush=True))
    print(markdown_table(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
