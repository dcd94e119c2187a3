"""``mustknow``: run the evidence lab, list and show claims, render the report, draw the note's figures.

Bad input (an unknown question or claim, ``--seeds 0``, an unwritable folder)
ends with a one-line message on stderr and a non-zero exit status, never a
traceback. Exit status: 0 success, 1 some trials failed, 2 bad input,
130 interrupted (finished trials are kept; run again to resume).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import warnings
from collections.abc import Sequence
from pathlib import Path

__all__ = ["main", "build_parser"]

PROFILES = ("quick", "full")
BACKENDS = ("local", "ray")
LANGS = ("en", "zh")


class CliError(Exception):
    """A user error: printed as one line, exit status 2."""


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be an integer >= 1; got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be an integer >= 1; got {value}")
    return value


def _common(p: argparse.ArgumentParser, *, out: bool = False, only: bool = True, lang: bool = True) -> None:
    p.add_argument("--profile", choices=PROFILES, default="quick",
                   help="quick (default: the whole suite on a 2-core CPU in minutes) or full")
    if only:
        p.add_argument("--only", metavar="SEL", default=None,
                       help="comma-separated questions or claim ids, e.g. q1,q2 or q06.some-claim")
    p.add_argument("--seeds", type=_positive_int, default=None, metavar="N",
                   help="seeds per config (default: each claim's count for the profile)")
    p.add_argument("--results", type=Path, default=Path("results"), metavar="DIR",
                   help="result store (default: results)")
    if out:
        p.add_argument("--out", type=Path, default=Path("report"), metavar="DIR",
                       help="report folder (default: report)")
    if lang:
        p.add_argument("--lang", choices=LANGS, default="en", help="language of the prose (default: en)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mustknow",
        description="Ten must-know deep-learning questions: run the experiments behind every claim of the "
                    "note, and read the verdicts.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    p = sub.add_parser("run", help="run the missing trials, then write the report",
                       description="Run every trial not stored yet (resumable), then write the report.")
    _common(p, out=True)
    p.add_argument("--jobs", type=_positive_int, default=None, metavar="N",
                   help=f"worker processes, or the CPUs of a local Ray instance (default: the number of CPU "
                        f"cores, {os.cpu_count() or 1} here)")
    p.add_argument("--force", action="store_true", help="rerun and overwrite stored trials")
    p.add_argument("--no-progress", action="store_true", help="no progress bar (it is off when stderr is not a tty)")
    p.add_argument("--backend", choices=BACKENDS, default="local",
                   help="local: worker processes on this machine (default); ray: one Ray task per trial, on a "
                        "local Ray instance or the cluster at --address (needs: pip install \"mustknow[ray]\")")
    p.add_argument("--address", default=None, metavar="ADDR",
                   help="the Ray cluster to use with --backend ray: auto, HOST:PORT or ray://HOST:PORT "
                        "(default: start a local Ray instance)")
    p.add_argument("--dry-run", action="store_true",
                   help="print the trial plan and its cost estimated from stored quick-profile times; run nothing")
    p = sub.add_parser("list", help="the claims, with the status of their stored results")
    _common(p, lang=False)
    p = sub.add_parser("show", help="a question, its answer and its claims with current verdicts",
                       description="Print a question, its answer and its claims with their current verdicts.")
    p.add_argument("question", help="a question (q6, 6) or a claim id")
    _common(p, only=False)
    p = sub.add_parser("report", help="re-render the report from stored results (runs nothing)")
    _common(p, out=True)
    p = sub.add_parser("plot", help="draw the figures the note lost (SVG and PNG)")
    p.add_argument("--out", type=Path, required=True, metavar="DIR", help="folder for the figures")
    p.add_argument("--only", metavar="NAME", default=None, help="draw only this figure")
    return parser


def _select(only: str | None):
    """The claims chosen by ``--only`` (all claims when ``None``), in suite order, without repeats."""
    from mustknow.lab import questions as registry

    if only is None:
        return registry.claims()
    chosen: dict[str, object] = {}
    parts = [s for s in only.split(",") if s.strip()]
    if not parts:
        raise CliError(f"--only {only!r} names no question or claim")
    for part in parts:
        try:
            found = registry.find(part)
        except ValueError as err:
            raise CliError(str(err)) from None
        chosen.update((c.id, c) for c in found)
    return [c for c in registry.claims() if c.id in chosen]


def _writable(folder: Path, what: str) -> None:
    """Create ``folder`` and check a file can be written in it."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as err:
        raise CliError(f"cannot write to the {what} folder {str(folder)!r}: {err.strerror or err}") from None


def _render(args, claims, run_wall_s: float | None = None):
    from mustknow.lab.report import render, terminal_table

    report = render(None, args.out, args.profile, args.results, args.lang, args.seeds, claims, run_wall_s)
    print(terminal_table(report.questions, args.lang))
    print(f"report: {report.index}  summary: {report.summary_path}")
    return report


def _backend(args):
    """The Ray backend, connected (``None`` for the local one); a missing Ray or cluster is a :class:`CliError`."""
    if args.backend == "local":
        if args.address is not None:
            warnings.warn("--address is ignored without --backend ray", stacklevel=2)
        return None
    if args.address is not None and args.jobs is not None:
        warnings.warn(f"--jobs {args.jobs} is ignored with --address: the cluster has its own CPUs", stacklevel=2)
    try:
        from mustknow.lab.ray_backend import RayBackend

        backend = RayBackend(args.profile, args.address, None if args.address is not None else _jobs(args))
        backend.connect()
    except (ImportError, ConnectionError) as err:
        raise CliError(str(err)) from None
    return backend


def _jobs(args) -> int:
    return args.jobs if args.jobs is not None else os.cpu_count() or 1


def _cmd_run(args) -> int:
    claims = _select(args.only)
    if args.dry_run:
        from mustknow.lab.plan import plan

        print("\n".join(plan(claims, args.profile, args.results, args.seeds).lines(_jobs(args))))
        return 0
    _writable(args.results, "results")
    _writable(args.out, "report")
    from mustknow.lab import runner  # imports torch: only once the input is known to be good

    summary = runner.run(claims, args.profile, args.results, args.seeds, _jobs(args), args.force,
                         backend=_backend(args), progress=False if args.no_progress else None)
    for trial, error in summary.failed:
        last = error.strip().splitlines()[-1] if error.strip() else "unknown error"
        print(f"mustknow: trial failed: {trial.experiment_name} seed={trial.seed} config={trial.config_dict} "
              f"(claims {', '.join(trial.claims)}): {last}", file=sys.stderr)
    _render(args, claims, summary.wall_s)
    print("\n".join(summary.lines()))
    return 1 if summary.failed else 0


def _cmd_list(args) -> int:
    claims = _select(args.only)
    from mustknow.lab import runner

    if not claims:
        print("no claims defined")
        return 0
    rows = runner.status(claims, args.profile, args.results, args.seeds)
    w = max(len(r.claim.id) for r in rows)
    print(f"{'claim':<{w}}  question  stored  state")
    for r in rows:
        print(f"{r.claim.id:<{w}}  {r.claim.question:>8d}  {f'{r.stored}/{r.expected}':>6}  {r.state}")
    return 0


def _cmd_show(args) -> int:
    claims = _select(args.question)
    from mustknow.lab import questions as registry
    from mustknow.lab.report import collect
    from mustknow.lab.report.i18n import verdict_name

    numbers = {c.question for c in claims}
    chosen = [q for q in registry.questions() if q.number in numbers]
    zh = args.lang == "zh"
    for qr in collect(chosen, args.profile, args.results, args.seeds, claims):
        q = qr.question
        print(f"Q{q.number}. {q.title_zh}\n    {q.title_en}\n")
        print(q.answer_zh if zh else q.answer_en)
        if q.implemented_by:
            print("\n" + ("实现:" if zh else "Implemented by: ") + ", ".join(q.implemented_by))
        full = q.full_profile_zh if zh else q.full_profile_en
        if full:
            print("\n" + ("full 配置档:" if zh else "Full profile: ") + full)
        for c in qr.claims:
            label = verdict_name(c.verdict.label if c.verdict else c.status, args.lang)
            print(f"\n  [{label}] {c.claim.id}")
            print(f"    {'原文' if zh else 'note'}: {c.claim.note_zh}")
            print(f"    {'论断' if zh else 'claim'}: {c.claim.claim_zh if zh else c.claim.claim_en}")
            print(f"    {'说明' if zh else 'why'}: {c.explanation(args.lang)}")
        print()
    return 0


def _cmd_report(args) -> int:
    claims = _select(args.only)
    _writable(args.out, "report")
    _render(args, claims)
    return 0


def _cmd_plot(args) -> int:
    from mustknow.lab.report import note_figures

    if args.only is not None and args.only not in note_figures.NOTE_FIGURES:
        raise CliError(f"unknown figure {args.only!r}; figures are {', '.join(sorted(note_figures.NOTE_FIGURES))}")
    _writable(args.out, "figure")
    drawn = note_figures.draw_note_figures(args.out, only=args.only)
    for name, paths in drawn.items():
        print(f"{name}: {', '.join(str(p) for p in paths)}")
    return 0


_COMMANDS = {"run": _cmd_run, "list": _cmd_list, "show": _cmd_show, "report": _cmd_report, "plot": _cmd_plot}


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    print(f"mustknow: warning: {message}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit status."""
    args = build_parser().parse_args(argv)
    with warnings.catch_warnings():
        warnings.showwarning = _show_warning
        try:
            return _COMMANDS[args.command](args)
        except CliError as err:
            print(f"mustknow: error: {err}", file=sys.stderr)
            return 2
        except KeyboardInterrupt:
            print(f"\nmustknow: interrupted; finished trials are stored under {getattr(args, 'results', '?')}; "
                  "run the same command again to resume", file=sys.stderr)
            return 130


if __name__ == "__main__":
    sys.exit(main())
