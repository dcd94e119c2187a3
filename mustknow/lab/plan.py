"""The trial plan of a profile and what it will cost, from times measured in stored results; runs nothing.

``mustknow run --profile full --dry-run`` prints it: per question its claims,
their configs, seeds and trials, and per experiment an estimate of the cost.

How the cost is estimated (no timing model, only measured times):

1. For each experiment, the ``wall_s`` of every stored result of the
   *measured* profile (``quick``) whose config is one of that profile's
   current configs is averaged (any seeds; stale configs are left out).
2. That mean, times the number of the planned profile's trials of the
   experiment, is the experiment's estimate, in CPU-seconds on one thread (each
   trial runs on one intra-op thread on every backend).
3. Where the planned configs are larger than the measured ones (an integer
   field, e.g. ``epochs`` or ``width``, reaches a larger value, or there are
   more configs, or a public image set instead of the embedded digits), a
   planned trial costs more than a measured one; the plan names those fields
   and marks the estimate as a lower bound (``>=``). No
   scaling by field ratios is attempted: cost grows linearly in some fields
   (epochs, samples) and faster in others (width), so a ratio would be a guess.
4. Experiments with no measured result are listed as not measured and left
   out of the total, which then says so.

Where the planned profile's own results are stored (say one seed of an
experiment was run first, or a run was interrupted), their times are used
instead: when every planned config of an experiment has a stored result,
each planned trial costs the mean time of its own config, and the estimate
is no longer a bound. Trials already stored are counted, and the estimate
covers only the trials still to run, which is what a resumed run costs.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import runner
from .claims import Claim

__all__ = ["ClaimPlan", "ExperimentPlan", "Plan", "plan"]


@dataclass(frozen=True)
class ClaimPlan:
    """One claim's share of the plan: ``configs x seeds = trials`` (before shared trials are merged)."""

    id: str
    question: int
    configs: int
    seeds: int

    @property
    def trials(self) -> int:
        return self.configs * self.seeds


@dataclass(frozen=True)
class ExperimentPlan:
    """One experiment's trials in the plan for one question, and their estimated cost.

    Attributes:
        name: ``module.function``.
        short: the name of its results folder, ``qNN_topic.function``.
        question: the question (of the first claim asking for each of these trials).
        claims: ids of the claims using these trials.
        trials: its distinct trials in the plan (shared trials counted once).
        measured: stored results of the measured profile that the mean uses.
        mean_s: their mean ``wall_s``; ``None`` when none is stored.
        larger: ``"field quick -> full"`` for each integer field (and the
            config count) larger in the plan than in the measured profile.
        datasets: the values of the planned configs' ``dataset`` field, where
            they have one (the data sets the plan asks for).
        stored: trials of the plan already stored (a rerun skips them).
        source: the profile whose stored times ``mean_s`` comes from: the
            planned one when every planned config has a stored result, else
            the measured one.
    """

    name: str
    short: str
    question: int
    claims: tuple[str, ...]
    trials: int
    measured: int
    mean_s: float | None
    larger: tuple[str, ...]
    datasets: tuple[str, ...] = ()
    stored: int = 0
    source: str = "quick"

    @property
    def cost_s(self) -> float | None:
        """Estimated CPU-seconds of the trials still to run: ``mean_s * (trials - stored)`` (a lower bound
        when ``larger``); ``None`` if unmeasured."""
        return None if self.mean_s is None else self.mean_s * (self.trials - self.stored)


@dataclass(frozen=True)
class Plan:
    """What a profile runs and its estimated cost.

    Attributes:
        profile: the planned profile.
        measured_profile: the profile whose stored times are used.
        results_dir: the result store read.
        claims: per claim, in suite order.
        experiments: per question and experiment, in order of first use.
        devices: the ``environ.device`` values of the measured results.
        adds: per question number, what its planned profile adds to the
            evidence (the question's ``full_profile_en``; empty for ``quick``).
    """

    profile: str
    measured_profile: str
    results_dir: Path
    claims: tuple[ClaimPlan, ...]
    experiments: tuple[ExperimentPlan, ...]
    devices: tuple[str, ...]
    adds: dict[int, str] = field(default_factory=dict)

    @property
    def trials(self) -> int:
        """Distinct trials (shared trials counted once)."""
        return sum(e.trials for e in self.experiments)

    @property
    def cost_s(self) -> float:
        """Estimated CPU-seconds of the measured experiments."""
        return sum(e.cost_s for e in self.experiments if e.cost_s is not None)

    @property
    def lower_bound(self) -> bool:
        """True when some estimate is a lower bound (larger configs or unmeasured experiments)."""
        return any(e.larger or e.mean_s is None for e in self.experiments)

    def lines(self, workers: int = 1) -> list[str]:
        """The plan for the terminal; ``workers`` trials running at once give the wall-time line."""
        questions = sorted({c.question for c in self.claims})
        out = [f"{self.profile} profile: {len(self.claims)} claims in {len(questions)} questions, {self.trials} trials "
               "(trials shared by claims counted once). Nothing is run.",
               f"Cost: per experiment, the mean trial time stored under {self.results_dir / self.measured_profile} "
               f"times its number of {self.profile} trials, in CPU-hours on one thread per trial. '>=' marks a lower "
               f"bound: the {self.profile} configs are larger (the fields are listed) or nothing is measured."]
        for q in questions:
            claims = [c for c in self.claims if c.question == q]
            exps = [e for e in self.experiments if e.question == q]
            out.append("")
            out.append(f"q{q:02d}: {len(claims)} claims, {sum(e.trials for e in exps)} trials, "
                       f"est. {_bound(exps)}{_hours(sum(e.cost_s or 0.0 for e in exps))}")
            if self.adds.get(q):
                out += textwrap.wrap(self.adds[q], 110, initial_indent="  adds: ", subsequent_indent="        ")
            width = max(len(c.id) for c in claims)
            for c in claims:
                out.append(f"  {c.id:<{width}}  {c.configs:>4d} configs x {c.seeds:>3d} seeds = {c.trials:>6d} trials")
            for e in exps:
                if e.mean_s is None:
                    cost = f"not measured (no stored {self.measured_profile} result)"
                else:
                    cost = (f"{e.mean_s:.3g} s/trial over {e.measured} {e.source} trials -> "
                            f"{_bound([e])}{_hours(e.cost_s or 0.0)}")
                done = f" ({e.stored} stored)" if e.stored else ""
                out.append(f"  {e.short}: {e.trials} trials{done}, {cost}")
                if e.larger:
                    out.append(f"    larger in {self.profile}: {', '.join(e.larger)}")
                if e.datasets:
                    out.append(f"    data sets asked for: {', '.join(e.datasets)}")
        unmeasured = list(dict.fromkeys(e.short for e in self.experiments if e.mean_s is None))
        bound = ">= " if self.lower_bound else ""
        on = f" (measured on {', '.join(self.devices)})" if self.devices else ""
        out.append("")
        stored = sum(e.stored for e in self.experiments)
        left = f" ({stored} stored; the estimate is for the {self.trials - stored} to run)" if stored else ""
        out.append(f"total: {self.trials} trials{left}, est. {bound}{_hours(self.cost_s)}{on}; on {workers} workers "
                   f"{bound}{self.cost_s / workers / 3600:.2f} h of wall time at best")
        if unmeasured:
            out.append(f"not measured ({len(unmeasured)}; run `mustknow run --profile {self.measured_profile}` "
                       f"first): {', '.join(unmeasured)}")
        return out


def _hours(seconds: float) -> str:
    return f"{seconds / 3600:.3f} CPU-h"


def _bound(exps: list[ExperimentPlan]) -> str:
    return ">= " if any(e.larger or e.mean_s is None for e in exps) else ""


def _ints(config: dict[str, Any], prefix: str = "") -> Iterator[tuple[str, int]]:
    """The integer fields of a config dict, nested dicts as dotted names (booleans are not sizes)."""
    for name, value in config.items():
        if isinstance(value, dict):
            yield from _ints(value, f"{prefix}{name}.")
        elif isinstance(value, int) and not isinstance(value, bool):
            yield f"{prefix}{name}", value


def _larger(measured: list[dict[str, Any]], planned: list[dict[str, Any]]) -> tuple[str, ...]:
    """``"field a -> b"`` for the integer fields whose largest planned value exceeds the largest measured one."""
    def largest(configs: list[dict[str, Any]]) -> dict[str, int]:
        out: dict[str, int] = {}
        for cfg in configs:
            for name, value in _ints(cfg):
                out[name] = max(value, out.get(name, value))
        return out

    before, after = largest(measured), largest(planned)
    grown = [f"{name} {before[name]} -> {value}" for name, value in after.items()
             if name in before and value > before[name]]
    if len(planned) > len(measured):
        grown.insert(0, f"configs {len(measured)} -> {len(planned)}")
    public = sorted({c["dataset"] for c in planned if c.get("dataset", "digits") != "digits"}
                    - {c.get("dataset") for c in measured})
    if public:  # a public image set is tens of times larger than the embedded one measured
        grown.append(f"data set -> {', '.join(public)}")
    return tuple(grown)


def _measured(folder: Path, experiment: str, configs: list[dict[str, Any]]
              ) -> tuple[dict[str, list[float]], set[str]]:
    """``wall_s`` of the stored results in ``folder`` of ``experiment`` per config (as JSON) among ``configs``,
    and their devices."""
    wanted = {json.dumps(c, sort_keys=True) for c in configs}
    times: dict[str, list[float]] = {}
    devices: set[str] = set()
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else ():
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):  # unreadable files are reported (and recomputed) by a run
            continue
        if not isinstance(record, dict) or record.get("experiment") != experiment:
            continue
        key = json.dumps(record.get("config"), sort_keys=True)
        if key not in wanted:  # a config the profile no longer runs
            continue
        wall = record.get("wall_s")
        if isinstance(wall, (int, float)) and not isinstance(wall, bool) and wall >= 0:
            times.setdefault(key, []).append(float(wall))
            device = (record.get("environ") or {}).get("device")
            if isinstance(device, str):
                devices.add(device)
    return times, devices


def plan(claims: Iterable[Claim], profile: str = "full", results_dir: str | Path = "results",
         seeds: int | None = None, measured_profile: str = "quick") -> Plan:
    """The trial plan of ``profile`` and its cost estimated from stored ``measured_profile`` results.

    Args:
        claims: the claims to plan.
        profile: the profile planned (default ``"full"``).
        results_dir: the result store to read times from.
        seeds: seeds per config; ``None`` uses each claim's count for the profile.
        measured_profile: whose stored trial times are used (default ``"quick"``).

    Raises:
        ValueError: unknown profile or ``seeds < 1``.
        TypeError: a claim's configs are not dataclass instances.

    Example:
        >>> from mustknow.lab import questions
        >>> print("\\n".join(plan(questions.claims(), "full").lines(workers=16)))  # doctest: +SKIP
    """
    claims = list(claims)
    results_dir = Path(results_dir)
    trials = runner.expand(claims, profile, results_dir, seeds)
    measured_trials = runner.expand(claims, measured_profile, results_dir, 1)
    claim_plans = tuple(ClaimPlan(c.id, c.question, len(c.configs(profile)),
                                  seeds if seeds is not None else c.seeds[profile]) for c in claims)
    experiments, devices = [], set()
    for question, name in dict.fromkeys((t.question, t.experiment_name) for t in trials):
        mine = [t for t in trials if (t.question, t.experiment_name) == (question, name)]
        base = [t for t in measured_trials if (t.question, t.experiment_name) == (question, name)]
        # configs as JSON gives them back, so they compare equal to the stored ones
        planned = [json.loads(json.dumps(t.config_dict)) for t in mine if t.seed == 0]
        measured_cfgs = [json.loads(json.dumps(t.config_dict)) for t in base]
        stored = sum(t.path.exists() for t in mine)
        own, found = _measured(mine[0].path.parent, name, planned)
        keys = [json.dumps(json.loads(json.dumps(t.config_dict)), sort_keys=True) for t in mine]
        if all(k in own for k in keys):  # the planned profile's own times, config by config
            mean_s = sum(sum(own[k]) / len(own[k]) for k in keys) / len(keys)
            measured, source, larger = sum(len(v) for v in own.values()), profile, ()
        else:
            times, found = _measured(base[0].path.parent, name, measured_cfgs) if base else ({}, set())
            walls = [w for v in times.values() for w in v]
            mean_s = sum(walls) / len(walls) if walls else None
            measured, source, larger = len(walls), measured_profile, _larger(measured_cfgs, planned)
        devices |= found
        users = tuple(dict.fromkeys(c for t in mine for c in t.claims))
        experiments.append(ExperimentPlan(name, mine[0].path.parent.name, question, users, len(mine), measured,
                                          mean_s, larger,
                                          tuple(dict.fromkeys(c["dataset"] for c in planned if "dataset" in c)),
                                          stored, source))
    adds = {}
    if profile == "full":
        from .questions import questions  # the registry imports the lab; import it only when asked

        numbers = {c.question for c in claims}
        adds = {q.number: q.full_profile_en for q in questions() if q.number in numbers and q.full_profile_en}
    return Plan(profile, measured_profile, results_dir, claim_plans, tuple(experiments), tuple(sorted(devices)),
                adds)
