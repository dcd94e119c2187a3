"""Verdicts from stored results, ``summary.json`` and the terminal table.

Verdicts are computed here, at render time, by calling each claim's
``verdict(results)`` on its stored results; nothing is typed in by hand. A
claim whose trials are not all stored is "not run" (no verdict); a verdict
function that raises is reported as an error with its message.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..claims import VERDICTS, Claim, Question, Result, Verdict
from ..runner import expand, load_results
from .i18n import text, verdict_name

__all__ = ["LABELS", "ClaimReport", "QuestionReport", "collect", "verdict_counts", "summary_dict", "terminal_table",
           "jsonable"]

#: What a claim can show: the four verdicts, then the two states without one.
LABELS = (*VERDICTS, "not_run", "error")


@dataclass(frozen=True)
class ClaimReport:
    """One claim with its stored results and computed verdict.

    Attributes:
        claim: the claim.
        results: its stored results (configs x seeds), sorted by config then seed.
        expected: how many trials it needs.
        verdict: the computed verdict, or ``None`` when not run or on error.
        error: the verdict function's error message, if it raised.
    """

    claim: Claim
    results: list[Result]
    expected: int
    verdict: Verdict | None
    error: str | None = None

    @property
    def status(self) -> str:
        """``"ok"``, ``"not_run"`` (some trials missing) or ``"error"``."""
        if self.error is not None:
            return "error"
        return "ok" if self.verdict is not None else "not_run"

    @property
    def label(self) -> str:
        """The verdict's label, or the status (``"not_run"``, ``"error"``) when there is none."""
        return self.verdict.label if self.verdict is not None else self.status

    @property
    def n_seeds(self) -> int:
        return len({r["seed"] for r in self.results})

    @property
    def wall_s(self) -> float:
        """Sum of the trials' wall times (trials shared with other claims count in each)."""
        return sum(float(r["wall_s"]) for r in self.results)

    def explanation(self, lang: str) -> str:
        """The verdict's sentence, or why there is none, in ``lang``."""
        if self.error is not None:
            return text("verdict_error", lang).format(error=self.error)
        if self.verdict is None:
            return text("not_run_explained", lang).format(stored=len(self.results), expected=self.expected)
        return self.verdict.explanation_zh if lang == "zh" else self.verdict.explanation_en


@dataclass(frozen=True)
class QuestionReport:
    question: Question
    claims: list[ClaimReport]


def _verdict(claim: Claim, results: list[Result]) -> tuple[Verdict | None, str | None]:
    try:
        verdict = claim.verdict(results)
    except Exception as err:  # a bug in one rule must not hide every other verdict
        return None, f"{type(err).__name__}: {err}"
    if not isinstance(verdict, Verdict):
        return None, f"TypeError: verdict rule returned {type(verdict).__name__}, not a Verdict"
    return verdict, None


def collect(questions: Sequence[Question], profile: str = "quick", results_dir: str | Path = "results",
            seeds: int | None = None, only: Sequence[Claim] | None = None) -> list[QuestionReport]:
    """Every question with its claims' stored results and verdicts.

    Args:
        questions: the questions to report.
        profile: the profile whose results are read.
        results_dir: root of the result store.
        seeds: seeds per config; ``None`` uses each claim's count for the profile.
        only: report only these claims (questions without any are left out).
    """
    wanted = None if only is None else {c.id for c in only}
    out = []
    for question in questions:
        rows = []
        for claim in question.claims:
            if wanted is not None and claim.id not in wanted:
                continue
            expected = len(expand([claim], profile, results_dir, seeds))
            results = load_results(claim, profile, results_dir, seeds)
            verdict, error = _verdict(claim, results) if len(results) == expected else (None, None)
            rows.append(ClaimReport(claim, results, expected, verdict, error))
        if rows:
            out.append(QuestionReport(question, rows))
    return out


def verdict_counts(claims: Sequence[ClaimReport]) -> dict[str, int]:
    """How many claims show each of :data:`LABELS`, in that order; labels no claim shows are left out."""
    counts = Counter(c.label for c in claims)
    return {label: counts[label] for label in LABELS if counts[label]}


def jsonable(value: Any) -> Any:
    """Strict JSON: non-finite floats become the strings ``"inf"``, ``"-inf"``, ``"nan"``."""
    if isinstance(value, float) and not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    return value


def environs(reports: Sequence[QuestionReport]) -> list[dict[str, Any]]:
    """Distinct environments of the stored results, most common first."""
    counts = Counter(json.dumps(r["environ"], sort_keys=True) for q in reports for c in q.claims for r in c.results)
    return [json.loads(e) for e, _ in counts.most_common()]


def summary_dict(reports: Sequence[QuestionReport], profile: str, lang: str = "en",
                 run_wall_s: float | None = None) -> dict[str, Any]:
    """The content of ``summary.json`` (strict JSON).

    ``{"claims": [{"id", "question", "verdict", "status", "n_seeds", "n_trials",
    "trials_expected", "metric", "comparison", "threshold", "explanation",
    "explanation_zh", "evidence", "wall_s"}], "profile", "lang", "wall_s",
    "counts", "per_question_wall_s", "run_wall_s", "environ", "environs"}``. ``verdict``
    is ``null`` unless ``status`` is ``"ok"``; ``wall_s`` sums the stored
    trials' wall times (each trial once); ``counts`` maps each label shown
    (a verdict, ``"not_run"`` or ``"error"``) to its number of claims.
    """
    claims = []
    trial_s: dict[str, float] = {}
    per_question: dict[str, float] = {}
    for q in reports:
        for c in q.claims:
            v = c.verdict
            claims.append({
                "id": c.claim.id,
                "question": c.claim.question,
                "verdict": v.label if v else None,
                "status": c.status,
                "n_seeds": c.n_seeds,
                "n_trials": len(c.results),
                "trials_expected": c.expected,
                "metric": c.claim.metric,
                "comparison": c.claim.comparison,
                "threshold": c.claim.threshold,
                "explanation": c.explanation("en"),
                "explanation_zh": c.explanation("zh"),
                "evidence": v.evidence if v else {},
                "wall_s": c.wall_s,
            })
            for r in c.results:
                key = f"{r['experiment']}|{json.dumps(r['config'], sort_keys=True)}|{r['seed']}"
                if key not in trial_s:
                    trial_s[key] = float(r["wall_s"])
                    per_question[str(q.question.number)] = per_question.get(str(q.question.number), 0.0) + trial_s[key]
    envs = environs(reports)
    return jsonable({
        "claims": claims,
        "profile": profile,
        "lang": lang,
        "counts": verdict_counts([c for q in reports for c in q.claims]),
        "wall_s": sum(trial_s.values()),
        "per_question_wall_s": per_question,
        "run_wall_s": run_wall_s,
        "environ": envs[0] if envs else {},
        "environs": envs,
    })


def terminal_table(reports: Sequence[QuestionReport], lang: str = "en", width: int = 110) -> str:
    """A compact table: claim id, verdict, seeds, explanation (cut to ``width``)."""
    rows = [(c.claim.id, verdict_name(c.label, lang), str(c.n_seeds),
             c.explanation(lang)) for q in reports for c in q.claims]
    if not rows:
        return text("no_claims", lang)
    w_id = max(len(r[0]) for r in rows)
    w_v = max(max(len(r[1]) for r in rows), 7)
    head = f"{'claim':<{w_id}}  {'verdict':<{w_v}}  seeds  explanation"
    lines = [head, "-" * min(width, len(head) + 40)]
    room = max(width - w_id - w_v - 13, 20)
    for cid, verdict, n, expl in rows:
        expl = " ".join(expl.split())
        expl = expl if len(expl) <= room else expl[: room - 1] + "…"
        lines.append(f"{cid:<{w_id}}  {verdict:<{w_v}}  {n:>5}  {expl}")
    return "\n".join(lines)
