"""A tiny fake question for the engine's tests: fast, deterministic experiments.

Tests install it by replacing ``mustknow.lab.questions.questions``; run as a
script it does the same and then runs the CLI, so real subprocesses (kill
tests) see it too::

    python tests/lab/lab_fakes.py run --results R --out O

``MUSTKNOW_FAKE_SLEEP`` (seconds per trial, default 0) makes trials slow.
Heavy imports (torch, scipy) wait until a trial or a verdict needs them, so the
CLI's bad-input checks run in a fresh interpreter in well under a second.
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from mustknow.lab.claims import Claim, Question, Verdict


@dataclass(frozen=True)
class FakeConfig:
    shift: float = 0.0  # moves the metric's mean: 1.0 makes "value > 0.5" true
    sleep_s: float = 0.0  # slows a trial down for the kill tests


def experiment(config: FakeConfig, seed: int) -> dict:
    """A matrix product with noise: uses torch's kernels, so thread count could matter if not fixed."""
    import torch

    g = torch.Generator().manual_seed(seed)
    x = torch.randn(64, 96, generator=g)
    w = torch.randn(96, 64, generator=g)
    y = torch.tanh(x @ w / 10.0)
    time.sleep(config.sleep_s)
    curve = y.mean(dim=1)[:5]
    return {"metrics": {"value": float(y.mean()) * 0.1 + config.shift, "spread": float(y.std())},
            "series": {"curve": curve}}


def broken_experiment(config: FakeConfig, seed: int) -> dict:
    raise RuntimeError("experiment exploded")


def _sleep() -> float:
    return float(os.environ.get("MUSTKNOW_FAKE_SLEEP", "0"))


def configs(profile: str) -> list[FakeConfig]:
    return [FakeConfig(0.0, _sleep()), FakeConfig(1.0, _sleep())]


def shifted_only(profile: str) -> list[FakeConfig]:
    return [FakeConfig(1.0, _sleep())]


def other_arm(profile: str) -> list[FakeConfig]:
    return [FakeConfig(2.0, _sleep())]


def verdict(results: list[dict]) -> Verdict:
    from mustknow.lab import stats

    ci = stats.mean_ci(stats.metric_values(stats.select(results, shift=1.0), "value"))
    label = stats.decide(ci, 0.5, ">")
    return Verdict(label, f"value {ci} vs 0.5", f"数值 {ci},阈值 0.5",
                   {"metrics": ["value"], "value": ci.to_dict(), "threshold": 0.5})


def broken_verdict(results: list[dict]) -> Verdict:
    raise ZeroDivisionError("rule exploded")


def figure(results: list[dict], out_dir: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out_dir.mkdir(parents=True, exist_ok=True)
    fig, ax = plt.subplots(figsize=(3, 2))
    ax.plot([r["seed"] for r in results], [r["metrics"]["value"] for r in results], "o")
    ax.set_xlabel("seed")
    path = out_dir / "value.png"
    fig.savefig(path, dpi=60)
    plt.close(fig)
    return [path]


def _claim(id: str, question: int, **kw) -> Claim:
    base = dict(section="一、测试", note_zh="假的论断", claim_en=f"fake claim {id}", claim_zh=f"假论断 {id}",
                metric="value", comparison="mean over seeds vs threshold", threshold=0.5, experiment=experiment,
                configs=configs, verdict=verdict, seeds={"quick": 3, "full": 4})
    base.update(kw)
    return Claim(id=id, question=question, **base)


def make_questions() -> list[Question]:
    """Question 1: two claims sharing three trials (one with a figure), 6 trials in all; question 2: one
    claim (3 trials) whose rule raises. 9 distinct trials with the default seeds."""
    q1 = Question(1, "假问题一?", "Fake question one?", "An answer.", "一个回答。", ("mustknow.lab.stats.mean_ci",), (),
                  (_claim("q01.fake-shifted", 1, figure=figure), _claim("q01.fake-shared", 1, configs=shifted_only)),
                  full_profile_en="Full adds more seeds.", full_profile_zh="full 增加种子。")
    q2 = Question(2, "假问题二?", "Fake question two?", "Another answer.", "另一个回答。", ("mustknow.lab.nothing_here",),
                  (), (_claim("q02.fake-broken-rule", 2, configs=other_arm, verdict=broken_verdict),))
    return [q1, q2]


def install(monkeypatch=None) -> list[Question]:
    """Make ``mustknow.lab.questions.questions()`` return the fake questions."""
    import mustknow.lab.questions as registry

    qs = make_questions()
    if monkeypatch is None:
        registry.questions = lambda: qs
    else:
        monkeypatch.setattr(registry, "questions", lambda: qs)
    return qs


if __name__ == "__main__":
    import lab_fakes  # the importable copy (this folder is sys.path[0]), so worker processes find the experiments by name

    lab_fakes.install()
    from mustknow.cli import main

    sys.exit(main(sys.argv[1:]))
