"""The dry-run planner: trial counts per claim and experiment, costs from stored quick times, larger configs."""

import dataclasses
import json
from pathlib import Path

import pytest

from mustknow.cli import main
from mustknow.lab import runner
from mustknow.lab.plan import plan

HERE = Path(__file__).resolve().parent


@pytest.fixture
def fakes(monkeypatch):
    monkeypatch.syspath_prepend(str(HERE))
    import lab_fakes

    lab_fakes.install(monkeypatch)
    return lab_fakes


@pytest.fixture
def claims(fakes):
    return [c for q in fakes.make_questions() for c in q.claims]


@dataclasses.dataclass(frozen=True)
class Inner:
    size: int = 8


@dataclasses.dataclass(frozen=True)
class SizedConfig:
    epochs: int = 5
    width: int = 16
    lr: float = 0.1  # floats are not sizes: never listed as larger
    flag: bool = False  # nor are booleans
    inner: Inner = Inner()


def sized_experiment(config: SizedConfig, seed: int) -> dict:
    return {"metrics": {"value": float(config.epochs)}}


def sized_configs(profile: str) -> list[SizedConfig]:
    if profile == "quick":
        return [SizedConfig()]
    return [SizedConfig(epochs=50, lr=0.5, flag=True), SizedConfig(epochs=50, width=8, inner=Inner(32))]


def _store(trial: runner.Trial, wall_s: float, device: str = "cpu (test)") -> None:
    """A stored result of ``trial`` taking ``wall_s`` (the runner's record layout)."""
    trial.path.parent.mkdir(parents=True, exist_ok=True)
    trial.path.write_text(json.dumps({"claim": trial.claims[0], "experiment": trial.experiment_name,
                                      "config": trial.config_dict, "seed": trial.seed, "metrics": {"value": 1.0},
                                      "series": {}, "environ": {"device": device}, "wall_s": wall_s}))


def test_plan_counts_trials_and_scales_measured_quick_times(claims, tmp_path):
    quick = runner.run(claims, results_dir=tmp_path, progress=False)
    assert quick.computed == 9
    walls = [r["wall_s"] for c in claims[:1] + claims[2:] for r in runner.load_results(c, "quick", tmp_path)]
    p = plan(claims, "full", tmp_path)
    assert [(c.id, c.configs, c.seeds, c.trials) for c in p.claims] == [
        ("q01.fake-shifted", 2, 4, 8), ("q01.fake-shared", 1, 4, 4), ("q02.fake-broken-rule", 1, 4, 4)]
    q1, q2 = p.experiments  # one experiment, asked for by both questions with different configs
    assert (q1.name, q1.short, q1.question, q1.trials, q1.measured) == (
        "lab_fakes.experiment", "lab_fakes.experiment", 1, 8, 6)
    assert (q2.question, q2.trials, q2.measured, q2.claims) == (2, 4, 3, ("q02.fake-broken-rule",))
    assert q1.claims == ("q01.fake-shifted", "q01.fake-shared")
    assert q1.mean_s == pytest.approx(sum(walls[:6]) / 6) and q2.mean_s == pytest.approx(sum(walls[6:]) / 3)
    assert p.trials == 12 and p.cost_s == pytest.approx(q1.mean_s * 8 + q2.mean_s * 4)
    assert q1.larger == q2.larger == () and not p.lower_bound
    text = "\n".join(p.lines(workers=2))
    assert "full profile: 3 claims in 2 questions, 12 trials" in text
    assert "q01.fake-shifted     2 configs x   4 seeds =      8 trials" in text
    assert f"total: 12 trials, est. {p.cost_s / 3600:.3f} CPU-h (measured on cpu (" in text and "on 2 workers" in text
    assert "est. >=" not in text and "not measured" not in text
    assert "q02: 1 claims, 4 trials" in text
    assert plan(claims, "full", tmp_path, seeds=2).trials == 6


def test_plan_uses_current_quick_configs_only_and_names_larger_fields(fakes, tmp_path):
    claim = dataclasses.replace(fakes.make_questions()[0].claims[0], experiment=sized_experiment,
                                configs=sized_configs, seeds={"quick": 2, "full": 3})
    measured = runner.expand([claim], "quick", tmp_path)
    _store(measured[0], 1.0)
    _store(measured[1], 3.0, device="cuda (test)")
    folder = measured[0].path.parent
    stale = dataclasses.replace(measured[0], config=SizedConfig(epochs=7), path=folder / "stale.json")
    _store(stale, 100.0)  # a config quick no longer runs: left out
    (folder / "broken.json").write_text("{")  # unreadable: left out
    p = plan([claim], "full", tmp_path)
    [exp] = p.experiments
    assert (exp.trials, exp.measured, exp.mean_s, exp.cost_s) == (6, 2, 2.0, 12.0)
    assert exp.larger == ("configs 1 -> 2", "epochs 5 -> 50", "inner.size 8 -> 32")
    assert p.devices == ("cpu (test)", "cuda (test)") and p.lower_bound
    text = "\n".join(p.lines())
    assert "larger in full: configs 1 -> 2, epochs 5 -> 50, inner.size 8 -> 32" in text
    assert "est. >= 0.003 CPU-h" in text and "(measured on cpu (test), cuda (test))" in text


def test_unmeasured_experiments_are_listed_and_left_out(claims, tmp_path):
    p = plan(claims, "full", tmp_path)
    assert all(e.mean_s is None and e.cost_s is None for e in p.experiments) and p.cost_s == 0
    text = "\n".join(p.lines())
    assert "not measured (no stored quick result)" in text
    assert "total: 12 trials, est. >= 0.000 CPU-h" in text
    assert "not measured (1; run `mustknow run --profile quick` first): lab_fakes.experiment\n" in text + "\n"


def test_plan_validates_like_the_runner(claims, tmp_path):
    with pytest.raises(ValueError, match="profile='huge' must be one of quick, full"):
        plan(claims, "huge", tmp_path)
    with pytest.raises(ValueError, match="seeds must be an int >= 1; got 0"):
        plan(claims, "full", tmp_path, seeds=0)


def test_cli_dry_run_prints_the_plan_and_runs_nothing(fakes, tmp_path, capsys):
    r, o = tmp_path / "results", tmp_path / "report"
    assert main(["run", "--profile", "full", "--dry-run", "--results", str(r), "--out", str(o), "--jobs", "3"]) == 0
    out = capsys.readouterr().out
    assert "full profile: 3 claims in 2 questions, 12 trials" in out and "on 3 workers" in out
    assert "  adds: Full adds more seeds." in out  # what the question says the full profile adds
    assert not r.exists() and not o.exists()
    assert main(["run", "--profile", "full", "--dry-run", "--only", "q2", "--results", str(r), "--out", str(o),
                 "--seeds", "2"]) == 0
    assert "full profile: 1 claims in 1 questions, 2 trials" in capsys.readouterr().out


@dataclasses.dataclass(frozen=True)
class ImageConfig(SizedConfig):
    dataset: str = "digits"


def image_configs(profile: str) -> list[SizedConfig]:
    if profile == "quick":
        return [SizedConfig()]
    return [ImageConfig(dataset="digits"), ImageConfig(dataset="mnist"), ImageConfig(dataset="cifar10")]


def test_a_public_image_set_makes_the_estimate_a_lower_bound(fakes, tmp_path):
    claim = dataclasses.replace(fakes.make_questions()[0].claims[0], experiment=sized_experiment,
                                configs=image_configs, seeds={"quick": 1, "full": 1})
    _store(runner.expand([claim], "quick", tmp_path)[0], 2.0)
    [exp] = plan([claim], "full", tmp_path).experiments
    assert exp.larger == ("configs 1 -> 3", "data set -> cifar10, mnist")
    assert exp.datasets == ("digits", "mnist", "cifar10")
    claim = dataclasses.replace(claim, configs=lambda p: [SizedConfig()] if p == "quick" else [ImageConfig()])
    assert plan([claim], "full", tmp_path).experiments[0].larger == ()  # digits only: as measured


def test_stored_full_results_give_their_own_times_and_only_the_rest_is_costed(fakes, tmp_path):
    claim = dataclasses.replace(fakes.make_questions()[0].claims[0], experiment=sized_experiment,
                                configs=sized_configs, seeds={"quick": 1, "full": 3})
    _store(runner.expand([claim], "quick", tmp_path)[0], 1.0)
    full = runner.expand([claim], "full", tmp_path)  # 2 configs x 3 seeds
    assert len(full) == 6
    _store(full[0], 10.0)  # config 0, seed 0: one config measured is not enough
    [exp] = plan([claim], "full", tmp_path).experiments
    assert (exp.source, exp.stored, exp.mean_s, exp.cost_s) == ("quick", 1, 1.0, 5.0) and exp.larger
    second = next(t for t in full if t.config != full[0].config)
    _store(second, 30.0)
    p = plan([claim], "full", tmp_path)
    [exp] = p.experiments
    assert (exp.source, exp.measured, exp.stored, exp.larger) == ("full", 2, 2, ())
    assert exp.mean_s == pytest.approx(20.0) and exp.cost_s == pytest.approx(20.0 * 4)
    assert not p.lower_bound
    text = "\n".join(p.lines())
    assert "6 trials (2 stored), 20 s/trial over 2 full trials" in text
    assert "total: 6 trials (2 stored; the estimate is for the 4 to run)" in text
