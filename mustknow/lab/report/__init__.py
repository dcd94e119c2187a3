"""The report, rendered from stored results alone: ``index.html``, figures, ``summary.json``, a terminal table.

* :mod:`.summary` -- verdicts computed from stored results, ``summary.json``, the terminal table.
* :mod:`.html` -- the offline page (both languages, a switch between them).
* :mod:`.i18n` -- the page's fixed words in English and Chinese.
* :mod:`.note_figures` -- the figures the note lost (``mustknow plot``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..claims import Claim, Question
from .html import render_html
from .i18n import LANGS
from .summary import ClaimReport, QuestionReport, collect, summary_dict, terminal_table

__all__ = ["Report", "render", "collect", "summary_dict", "terminal_table", "ClaimReport", "QuestionReport", "LANGS"]


@dataclass(frozen=True)
class Report:
    """A rendered report: what it holds and where it was written."""

    questions: list[QuestionReport]
    summary: dict[str, Any]
    index: Path
    summary_path: Path


def render(questions: Sequence[Question] | None = None, out_dir: str | Path = "report", profile: str = "quick",
           results_dir: str | Path = "results", lang: str = "en", seeds: int | None = None,
           only: Sequence[Claim] | None = None, run_wall_s: float | None = None) -> Report:
    """Compute verdicts from stored results and write ``index.html``, figures and ``summary.json``.

    Args:
        questions: the questions to report; ``None`` means all of them.
        out_dir: the report folder (created).
        profile: whose results to read, ``"quick"`` or ``"full"``.
        results_dir: root of the result store.
        lang: ``"en"`` or ``"zh"``, the language shown first.
        seeds: seeds per config; ``None`` uses each claim's count for the profile.
        only: report only these claims.
        run_wall_s: elapsed seconds of the run that just ended, recorded in ``summary.json``.

    Raises:
        ValueError: for an unknown ``lang`` or ``profile``.
    """
    if lang not in LANGS:
        raise ValueError(f"lang={lang!r} must be one of {', '.join(LANGS)}")
    if questions is None:
        from .. import questions as registry

        questions = registry.questions()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    reports = collect(questions, profile, results_dir, seeds, only)
    summary = summary_dict(reports, profile, lang, run_wall_s)
    summary_path = out / "summary.json"
    summary_path.write_text(json.dumps(summary, indent=1, ensure_ascii=False, allow_nan=False) + "\n",
                            encoding="utf-8")
    index = render_html(reports, out, summary, lang)
    return Report(reports, summary, index, summary_path)
