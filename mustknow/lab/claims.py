"""Claim and question records: data only, no behaviour beyond validation.

A :class:`Claim` fixes, before any run, what the note says, the claim as
tested, the metric, the comparison and the threshold. Its experiment is a pure
function ``run(config, seed) -> {"metrics": {...}, "series": {...}}``; the
runner owns storage and the report owns rendering.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["VERDICTS", "PROFILES", "Verdict", "Claim", "Question", "Result"]

#: The four verdicts a claim can get.
VERDICTS = ("SUPPORTED", "REFUTED", "NUANCED", "INCONCLUSIVE")

#: Run profiles: ``quick`` runs the whole suite on a 2-core CPU in minutes,
#: ``full`` uses more seeds, bigger models and data, and a GPU when present.
PROFILES = ("quick", "full")

#: One stored trial, as the runner writes it to JSON:
#: ``{"claim", "experiment", "config", "seed", "metrics", "series", "environ", "wall_s"}``.
Result = dict[str, Any]

_ID = re.compile(r"^q(0[1-9]|10)\.[a-z0-9]+(-[a-z0-9]+)*$")


@dataclass(frozen=True)
class Verdict:
    """A computed verdict.

    Attributes:
        label: one of :data:`VERDICTS`.
        explanation_en: one sentence with the numbers that decided it.
        explanation_zh: the same sentence in Chinese.
        evidence: the JSON-serialisable numbers behind it (means, intervals,
            per-seed values, the threshold), shown in the report.
    """

    label: str
    explanation_en: str
    explanation_zh: str
    evidence: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.label not in VERDICTS:
            raise ValueError(f"label={self.label!r} must be one of {', '.join(VERDICTS)}")


@dataclass(frozen=True)
class Claim:
    """One claim of the note, with its operationalisation fixed before any run.

    Attributes:
        id: ``qNN.kebab-case-name``, e.g. ``q06.sigmoid-vanishes-by-5-layers``.
        question: the note's question number, 1-10.
        section: the note's section the claim comes from (Chinese heading).
        note_zh: what the note says, paraphrased in Chinese.
        claim_en / claim_zh: the claim as tested, precisely.
        metric: what is measured (English).
        comparison: how the metric is compared, and on what (English).
        threshold: the threshold the verdict rule uses, as a number, or a
            short string where the rule has several (e.g. ``"gap > 0.05"``).
        experiment: pure ``run(config, seed) -> {"metrics": {...}, "series": {...}}``;
            metrics are JSON numbers, series are lists of numbers (curves).
        configs: ``configs(profile) -> list of frozen-dataclass configs``.
        verdict: ``verdict(results) -> Verdict``, from stored results only.
        seeds: seeds per profile; ``--seeds N`` overrides.
        figure: optional ``figure(results, out_dir) -> [paths]`` drawing the
            claim's evidence (PNG or SVG) into ``out_dir``.
    """

    id: str
    question: int
    section: str
    note_zh: str
    claim_en: str
    claim_zh: str
    metric: str
    comparison: str
    threshold: float | str
    experiment: Callable[[Any, int], dict[str, Any]]
    configs: Callable[[str], Sequence[Any]]
    verdict: Callable[[list[Result]], Verdict]
    seeds: dict[str, int] = field(default_factory=lambda: {"quick": 3, "full": 10})
    figure: Callable[[list[Result], Path], list[Path]] | None = None

    def __post_init__(self) -> None:
        if not _ID.match(self.id):
            raise ValueError(f"claim id {self.id!r} must look like 'q06.kebab-case-name'")
        if not 1 <= self.question <= 10 or self.id[1:3] != f"{self.question:02d}":
            raise ValueError(f"claim {self.id!r}: question={self.question} does not match its id")
        for profile in PROFILES:
            n = self.seeds.get(profile)
            if not isinstance(n, int) or n < 1:
                raise ValueError(f"claim {self.id!r}: seeds[{profile!r}] must be an int >= 1; got {n!r}")

    @property
    def experiment_name(self) -> str:
        """The experiment's stable name: ``module.function``."""
        return f"{self.experiment.__module__}.{self.experiment.__qualname__}"

    def trial_configs(self, profile: str) -> list[dict[str, Any]]:
        """The profile's configs as plain dicts (what the runner hashes and stores)."""
        if profile not in PROFILES:
            raise ValueError(f"profile={profile!r} must be one of {', '.join(PROFILES)}")
        out = []
        for cfg in self.configs(profile):
            if not dataclasses.is_dataclass(cfg):
                raise TypeError(f"claim {self.id!r}: configs must be dataclass instances; got {type(cfg).__name__}")
            out.append(dataclasses.asdict(cfg))
        return out


@dataclass(frozen=True)
class Question:
    """One of the note's ten questions.

    Attributes:
        number: 1-10.
        title_zh: the question as the note asks it.
        title_en: the same question in English.
        answer_en / answer_zh: a concise answer in our own words.
        implemented_by: dotted names of the functions and modules that
            implement it, e.g. ``"mustknow.functional.sigmoid"``.
        note_figures: names of the figures ``mustknow plot`` draws that
            belong to this question (the figures the note lost).
        claims: the question's claims.
        full_profile_en / full_profile_zh: what the ``full`` profile adds to
            the question's evidence over ``quick``: seeds, sizes, epochs, and
            the data sets (with what happens when their files are missing).
    """

    number: int
    title_zh: str
    title_en: str
    answer_en: str
    answer_zh: str
    implemented_by: tuple[str, ...]
    note_figures: tuple[str, ...]
    claims: tuple[Claim, ...]
    full_profile_en: str = ""
    full_profile_zh: str = ""

    def __post_init__(self) -> None:
        for claim in self.claims:
            if claim.question != self.number:
                raise ValueError(f"claim {claim.id!r} belongs to question {claim.question}, not {self.number}")
