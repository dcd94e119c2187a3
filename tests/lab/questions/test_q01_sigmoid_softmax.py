"""Question 1 (sigmoid and softmax): experiments on tiny configs, verdict rules on hand-made results, records."""

import dataclasses
import math

import pytest
import torch

from mustknow.lab.claims import PROFILES, Claim, Question
from mustknow.lab.questions import q01_sigmoid_softmax as q

CLAIMS = {c.id: c for c in q.QUESTION.claims}

# Tiny settings per experiment: each trial runs in a fraction of a second.
TINY = {
    q.run_identity: dict(samples=200, bins=6),
    q.run_two_class: dict(gd_epochs=5, adam_epochs=5),
    q.run_ranges: dict(sigmoid_samples=100, softmax_rows=5, max_classes=20, grid_points=20),
}


def tiny(claim):
    return [dataclasses.replace(cfg, **TINY[claim.experiment]) for cfg in claim.configs("quick")]


def result(seed, metrics, series=None, **config):
    return {"config": config, "seed": seed, "metrics": metrics, "series": series or {}}


# --------------------------------------------------------------------------- records


def test_question_record():
    assert isinstance(q.QUESTION, Question)
    assert q.QUESTION.number == 1
    assert q.QUESTION.title_zh == "sigmoid和softmax的区别和联系?"
    assert q.QUESTION.note_figures == ("softmax-vs-sigmoid",)
    assert len(CLAIMS) == len(q.QUESTION.claims) == 3
    assert all(name.startswith("mustknow.") for name in q.QUESTION.implemented_by)


@pytest.mark.parametrize("claim", q.QUESTION.claims, ids=lambda c: c.id)
def test_claim_records_validate(claim):
    assert isinstance(claim, Claim)
    assert claim.question == 1 and claim.id.startswith("q01.")
    assert claim.section.startswith("一、")
    assert claim.seeds["quick"] >= 3 and claim.seeds["full"] >= 10
    for profile in PROFILES:
        configs = claim.trial_configs(profile)
        assert configs and all(isinstance(c, dict) for c in configs)
    assert claim.figure is not None


def test_paired_claim_has_five_quick_seeds():
    assert CLAIMS["q01.softmax-regression-k2-is-logistic"].seeds["quick"] >= 5


def test_full_configs_are_heavier_than_quick():
    assert q.configs_identity("full")[0].samples > q.configs_identity("quick")[0].samples
    assert q.configs_two_class("full")[0].adam_epochs > q.configs_two_class("quick")[0].adam_epochs
    assert q.configs_ranges("full")[0].softmax_rows > q.configs_ranges("quick")[0].softmax_rows


# --------------------------------------------------------------------------- experiments


@pytest.mark.parametrize("claim", q.QUESTION.claims, ids=lambda c: c.id)
def test_experiment_runs_tiny_and_returns_finite_metrics(claim):
    out = claim.experiment(tiny(claim)[0], 0)
    assert set(out) == {"metrics", "series"}
    assert out["metrics"]
    for name, value in out["metrics"].items():
        assert isinstance(value, float), name
        assert math.isfinite(value), name
    for name, values in out["series"].items():
        assert values and all(math.isfinite(v) for v in values), name


@pytest.mark.parametrize("claim", q.QUESTION.claims, ids=lambda c: c.id)
def test_experiment_is_deterministic_for_a_seed(claim):
    cfg = tiny(claim)[0]
    assert claim.experiment(cfg, 2) == claim.experiment(cfg, 2)


def test_identity_errors_are_within_a_few_eps_on_extremes():
    out = q.run_identity(dataclasses.replace(q.IdentityConfig(), **TINY[q.run_identity]), 0)["metrics"]
    for name in ("float64", "float32"):
        assert out[f"all_finite_{name}"] == 1.0
        assert out[f"value_err_eps_{name}"] <= q.IDENTITY_MAX_EPS
        assert out[f"grad_err_eps_{name}"] <= q.IDENTITY_MAX_EPS
        assert out[f"extreme_value_err_eps_{name}"] <= q.IDENTITY_MAX_EPS


def test_matched_gradient_descent_keeps_the_difference_identical_and_the_sum_fixed():
    out = q.run_two_class(dataclasses.replace(q.TwoClassConfig(), **TINY[q.run_two_class]), 1)["metrics"]
    assert out["matched_max_abs_diff"] < q.MATCHED_TOL
    assert out["matched_sum_drift"] < 1e-12  # w0 + w1 gets equal and opposite updates: never learned
    assert out["matched_score_range"] > 1.0  # the models did move


def test_sigmoid_rounding_points_match_machine_epsilon():
    out = q.run_ranges(dataclasses.replace(q.RangeConfig(), **TINY[q.run_ranges]), 0)["metrics"]
    for name, dtype in (("float64", torch.float64), ("float32", torch.float32)):
        one = out[f"sigmoid_one_from_{name}"]
        assert q.MF.sigmoid(torch.tensor(one, dtype=dtype)) == 1.0
        below = torch.nextafter(torch.tensor(one, dtype=dtype), torch.tensor(0.0, dtype=dtype))
        assert q.MF.sigmoid(below) < 1.0
        assert one == pytest.approx(math.log(2.0 / torch.finfo(dtype).eps), rel=1e-6)
        zero = out[f"sigmoid_zero_below_{name}"]
        assert q.MF.sigmoid(torch.tensor(zero, dtype=dtype)) == 0.0
        above = torch.nextafter(torch.tensor(zero, dtype=dtype), torch.tensor(0.0, dtype=dtype))
        assert q.MF.sigmoid(above) > 0.0
        assert out[f"sigmoid_outside_closed_{name}"] == 0.0


@pytest.mark.parametrize(
    "lo, hi, expected",
    [(0.0, 10.0, 3.0), (0.0, 2.0, math.inf), (2.9, 3.1, 3.0)],
)
def test_first_true_bisection(lo, hi, expected):
    assert q._first_true(lambda x: bool(x >= 3.0), lo, hi, torch.float64) == expected


def test_pearson_toy_cases():
    a = torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64)
    assert q._pearson(a, 2 * a + 1) == pytest.approx(1.0)
    assert q._pearson(a, -a) == pytest.approx(-1.0)


# --------------------------------------------------------------------------- figures


@pytest.mark.parametrize("claim", q.QUESTION.claims, ids=lambda c: c.id)
def test_figure_renders_from_tiny_results(claim, tmp_path):
    results = [result(s, **claim.experiment(cfg, s)) | {"config": dataclasses.asdict(cfg)}
               for cfg in tiny(claim) for s in (0, 1)]
    paths = claim.figure(results, tmp_path)
    assert paths and all(p.exists() and p.stat().st_size > 0 for p in paths)


# --------------------------------------------------------------------------- verdict rules


def _identity(err):
    metrics = {f"{k}_err_eps_{n}": err for k in ("value", "grad") for n in ("float64", "float32")}
    metrics |= {"all_finite_float64": 1.0, "all_finite_float32": 1.0}
    return [result(s, dict(metrics), samples=10) for s in range(3)]


@pytest.mark.parametrize("err, label", [(0.75, "SUPPORTED"), (1e3, "REFUTED")])
def test_verdict_identity(err, label):
    v = q.verdict_identity(_identity(err))
    assert v.label == label
    assert v.evidence["threshold_eps"] == q.IDENTITY_MAX_EPS
    assert f"{err:.3g}" in v.explanation_en


def test_verdict_identity_refutes_non_finite_outputs():
    results = _identity(0.0)
    results[1]["metrics"]["all_finite_float32"] = 0.0
    assert q.verdict_identity(results).label == "REFUTED"


def _two_class(agreement, pearson, matched=0.0):
    return [
        result(s, {"matched_max_abs_diff": matched, "matched_sum_drift": 0.0, "agreement": a, "pearson": p,
                   "max_abs_diff": 0.1, "test_acc_softmax": 0.97, "test_acc_logistic": 0.97})
        for s, (a, p) in enumerate(zip(agreement, pearson))
    ]


@pytest.mark.parametrize(
    "agreement, pearson, matched, label",
    [
        ([1.0, 0.998, 1.0, 0.999, 1.0], [0.9999] * 5, 0.0, "SUPPORTED"),
        ([0.9, 0.92, 0.91, 0.9, 0.93], [0.9999] * 5, 0.0, "REFUTED"),
        ([1.0] * 5, [0.9999] * 5, 1e-3, "REFUTED"),
        ([1.0, 0.95, 1.0, 0.96, 1.0], [0.9999] * 5, 0.0, "INCONCLUSIVE"),
    ],
)
def test_verdict_two_class(agreement, pearson, matched, label):
    v = q.verdict_two_class(_two_class(agreement, pearson, matched))
    assert v.label == label
    assert v.evidence["threshold_agreement"] == q.AGREEMENT_MIN


def _ranges(outside=0.0, sum_err=0.05, one_from=36.7):
    metrics = {}
    for n in ("float64", "float32"):
        metrics |= {f"sigmoid_one_from_{n}": one_from, f"sigmoid_zero_below_{n}": -one_from * 20,
                    f"exact_rounds_to_one_from_{n}": 36.7, f"exact_rounds_to_zero_below_{n}": -745.0,
                    f"sigmoid_outside_closed_{n}": outside, f"softmax_outside_closed_{n}": 0.0,
                    f"softmax_sum_err_per_class_eps_{n}": sum_err, f"softmax_exact_zero_fraction_{n}": 0.3}
    return [result(s, dict(metrics), max_classes=1000) for s in range(3)]


@pytest.mark.parametrize(
    "kwargs, label",
    [
        (dict(), "NUANCED"),  # in [0, 1], sums to 1, but the open interval breaks at finite x
        (dict(one_from=math.inf), "SUPPORTED"),  # never exactly 0 or 1 on the searched range
        (dict(outside=1.0), "REFUTED"),
        (dict(sum_err=5.0), "REFUTED"),
    ],
)
def test_verdict_ranges(kwargs, label):
    v = q.verdict_ranges(_ranges(**kwargs))
    assert v.label == label
    assert v.evidence["threshold_sum_eps_per_class"] == q.SUM_EPS_PER_CLASS
