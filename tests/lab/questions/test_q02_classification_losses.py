"""Question 2 (classification losses): experiments on tiny configs, verdict rules on hand-made results, records."""

import dataclasses
import math

import pytest
import torch

from mustknow.lab.claims import PROFILES, Claim, Question
from mustknow.lab.questions import q02_classification_losses as q

CLAIMS = {c.id: c for c in q.QUESTION.claims}

# Tiny settings per experiment: each trial runs in a fraction of a second.
TINY = {
    q.run_zero_one_gd: dict(steps=5, random_points=10),
    q.run_surrogate: dict(epochs=2, batch_size=128),
    q.run_logistic_ce: dict(samples=200, plot_points=20),
    q.run_shapes: dict(chords=500, risk_chords=20, grid_points=61),
}


def tiny(claim):
    return [dataclasses.replace(cfg, **TINY[claim.experiment]) for cfg in claim.configs("quick")]


def result(seed, metrics, series=None, **config):
    return {"config": config, "seed": seed, "metrics": metrics, "series": series or {}}


# --------------------------------------------------------------------------- records


def test_question_record():
    assert isinstance(q.QUESTION, Question)
    assert q.QUESTION.number == 2
    assert q.QUESTION.title_zh == "分类一般用什么损失函数?交叉熵的公式是什么?"
    assert q.QUESTION.note_figures == ("classification-losses",)
    assert len(CLAIMS) == len(q.QUESTION.claims) == 5
    assert all(name.startswith("mustknow.") for name in q.QUESTION.implemented_by)


@pytest.mark.parametrize("claim", q.QUESTION.claims, ids=lambda c: c.id)
def test_claim_records_validate(claim):
    assert isinstance(claim, Claim)
    assert claim.question == 2 and claim.id.startswith("q02.")
    assert claim.section.startswith("二、")
    assert claim.seeds["quick"] >= 3 and claim.seeds["full"] >= 10
    for profile in PROFILES:
        configs = claim.trial_configs(profile)
        assert configs and all(isinstance(c, dict) for c in configs)
    assert claim.figure is not None


def test_paired_claim_has_five_quick_seeds_and_two_arms():
    claim = CLAIMS["q02.hinge-and-logistic-both-train"]
    assert claim.seeds["quick"] >= 5
    assert [c["loss"] for c in claim.trial_configs("quick")] == ["hinge", "logistic"]


# --------------------------------------------------------------------------- experiments


@pytest.mark.parametrize("claim", q.QUESTION.claims, ids=lambda c: c.id)
def test_experiment_runs_tiny_and_returns_finite_metrics(claim):
    for cfg in tiny(claim):
        out = claim.experiment(cfg, 0)
        assert set(out) == {"metrics", "series"}
        assert out["metrics"]
        for name, value in out["metrics"].items():
            assert isinstance(value, float), name
            assert math.isfinite(value), name
        for name, values in out["series"].items():
            assert values and all(math.isfinite(v) for v in values), name


@pytest.mark.parametrize("claim", q.QUESTION.claims[:4], ids=lambda c: c.id)  # the 5th shares run_shapes
def test_experiment_is_deterministic_for_a_seed(claim):
    cfg = tiny(claim)[0]
    assert claim.experiment(cfg, 3) == claim.experiment(cfg, 3)


def test_zero_one_gradient_descent_never_moves_while_surrogates_do():
    out = q.run_zero_one_gd(dataclasses.replace(q.ZeroOneGDConfig(), **TINY[q.run_zero_one_gd]), 0)["metrics"]
    assert out["zero_one_param_change"] == 0.0
    assert out["zero_one_acc_gain"] == 0.0
    assert out["autograd_step_grad_norm"] == 0.0
    assert out["fd_grad_nonzero_fraction_at_start"] == 0.0
    assert out["hinge_param_change"] > 0.0 and out["logistic_param_change"] > 0.0


def test_zero_one_fd_gradient_is_nonzero_only_across_a_point():
    # One row x = (1, 1) (feature, bias) with label +1: the risk steps at w0 + w1 = 0.
    x = torch.tensor([[1.0, 1.0]], dtype=torch.float64)
    y = torch.tensor([1.0], dtype=torch.float64)
    w = torch.tensor([[0.5, -0.5 + 1e-9], [2.0, 1.0]], dtype=torch.float64)  # on the step / far from it
    grad = q._zero_one_fd_grad(x, y, w, 1e-6)
    assert torch.all(grad[0] != 0) and torch.all(grad[1] == 0)


@pytest.mark.parametrize(
    "name, margins, expected",
    [
        ("zero_one", [-1.0, 0.0, 0.5], [1.0, 1.0, 0.0]),
        ("hinge", [-1.0, 0.0, 1.0, 2.0], [2.0, 1.0, 0.0, 0.0]),
        ("logistic", [0.0], [math.log(2.0)]),
    ],
)
def test_loss_on_margin_toy_values(name, margins, expected):
    m = torch.tensor(margins, dtype=torch.float64)
    assert q._on_margin(name, m).tolist() == pytest.approx(expected)


def test_shapes_find_the_kinks_and_the_jump():
    out = q.run_shapes(dataclasses.replace(q.ShapeConfig(), **TINY[q.run_shapes]), 0)["metrics"]
    assert out["zero_one_max_jump"] == 1.0 and abs(out["zero_one_jump_at"]) < 1e-12
    assert out["hinge_max_kink"] == pytest.approx(1.0, abs=1e-6) and out["hinge_kink_at"] == pytest.approx(1.0)
    assert out["logistic_max_kink"] < q.KINK_TOL
    assert out["zero_one_violation_fraction"] > 0.0
    assert out["hinge_violation_fraction"] == out["logistic_violation_fraction"] == 0.0
    a, b, t = out["counter_a"], out["counter_b"], out["counter_t"]
    assert float(t * a + (1 - t) * b <= 0) > t * float(a <= 0) + (1 - t) * float(b <= 0)


def test_logistic_equals_two_class_cross_entropy_tiny():
    out = q.run_logistic_ce(dataclasses.replace(q.LogisticCEConfig(), **TINY[q.run_logistic_ce]), 0)["metrics"]
    for name in ("float64", "float32"):
        assert out[f"value_err_eps_{name}"] <= q.LOGISTIC_CE_MAX_EPS
        assert out[f"grad_err_eps_{name}"] <= q.LOGISTIC_CE_MAX_EPS


# --------------------------------------------------------------------------- figures


@pytest.mark.parametrize("claim", q.QUESTION.claims, ids=lambda c: c.id)
def test_figure_renders_from_tiny_results(claim, tmp_path):
    results = [result(s, **claim.experiment(cfg, s)) | {"config": dataclasses.asdict(cfg)}
               for cfg in tiny(claim) for s in (0, 1)]
    paths = claim.figure(results, tmp_path)
    assert paths and all(p.exists() and p.stat().st_size > 0 for p in paths)


# --------------------------------------------------------------------------- verdict rules


def _zero_one(moved, zero_fraction):
    return [
        result(s, {"zero_one_param_change": moved, "zero_one_acc_gain": 0.0, "zero_one_acc_start": 0.6,
                   "zero_grad_fraction_random_points": f, "autograd_step_grad_norm": 0.0,
                   "hinge_param_change": 1.0, "logistic_param_change": 1.2, "hinge_acc_end": 0.97,
                   "logistic_acc_end": 0.96}, steps=100)
        for s, f in enumerate(zero_fraction)
    ]


@pytest.mark.parametrize(
    "moved, zero_fraction, label",
    [
        (0.0, [1.0, 1.0, 1.0], "SUPPORTED"),
        (0.3, [1.0, 1.0, 1.0], "REFUTED"),
        (0.0, [0.5, 0.6, 0.55], "REFUTED"),
        (0.0, [1.0, 0.9, 0.995], "INCONCLUSIVE"),
    ],
)
def test_verdict_zero_one_gd(moved, zero_fraction, label):
    v = q.verdict_zero_one_gd(_zero_one(moved, zero_fraction))
    assert v.label == label
    assert v.evidence["threshold_zero_grad_fraction"] == q.ZERO_GRAD_MIN_FRACTION


def _surrogate(hinge, logistic):
    return [result(s, {"heldout_acc": a}, loss=name)
            for name, values in (("hinge", hinge), ("logistic", logistic)) for s, a in enumerate(values)]


@pytest.mark.parametrize(
    "hinge, logistic, label",
    [
        ([0.96, 0.97, 0.95, 0.96, 0.97], [0.955, 0.965, 0.955, 0.96, 0.965], "SUPPORTED"),
        ([0.96, 0.97, 0.95, 0.96, 0.97], [0.90, 0.91, 0.905, 0.915, 0.92], "NUANCED"),  # both work, hinge better
        ([0.96, 0.97, 0.95, 0.96, 0.97], [0.6, 0.62, 0.61, 0.6, 0.63], "REFUTED"),
        ([0.96, 0.97, 0.95, 0.96, 0.97], [0.99, 0.93, 0.98, 0.92, 0.99], "INCONCLUSIVE"),
    ],
)
def test_verdict_surrogate(hinge, logistic, label):
    v = q.verdict_surrogate(_surrogate(hinge, logistic))
    assert v.label == label
    assert v.evidence["equivalence_margin"] == q.EQUIVALENCE_MARGIN


def _logistic_ce(err, finite=1.0):
    metrics = {f"{k}_err_eps_{n}": err for k in ("value", "grad") for n in ("float64", "float32")}
    metrics |= {"all_finite_float64": finite, "all_finite_float32": 1.0}
    return [result(s, dict(metrics), samples=10) for s in range(3)]


@pytest.mark.parametrize("err, finite, label", [(1.0, 1.0, "SUPPORTED"), (50.0, 1.0, "REFUTED"),
                                                (0.0, 0.0, "REFUTED")])
def test_verdict_logistic_ce(err, finite, label):
    assert q.verdict_logistic_ce(_logistic_ce(err, finite)).label == label


def _shapes(zero_one=0.25, hinge=0.0, logistic=0.0, hinge_jump=2e-7, hinge_kink=1.0):
    out = []
    for s in range(3):
        metrics = {"counter_a": 2.0, "counter_b": -2.0, "counter_t": 0.4}
        for name, v, jump, kink in (("zero_one", zero_one, 1.0, 0.0), ("hinge", hinge, hinge_jump, hinge_kink),
                                    ("logistic", logistic, 2e-7, 1e-7)):
            metrics |= {f"{name}_violation_fraction": v, f"{name}_risk_violation_fraction": v,
                        f"{name}_max_jump": jump, f"{name}_jump_at": 0.0, f"{name}_max_kink": kink,
                        f"{name}_kink_at": 1.0}
        out.append(result(s, metrics))
    return out


@pytest.mark.parametrize(
    "kwargs, label",
    [(dict(), "SUPPORTED"), (dict(hinge=0.01), "REFUTED"), (dict(zero_one=0.0), "INCONCLUSIVE")],
)
def test_verdict_convexity(kwargs, label):
    v = q.verdict_convexity(_shapes(**kwargs))
    assert v.label == label
    assert v.evidence["jensen_tolerance"] == q.JENSEN_TOL


@pytest.mark.parametrize(
    "kwargs, label",
    [
        (dict(), "SUPPORTED"),
        (dict(hinge_kink=0.0), "REFUTED"),  # a smooth hinge would contradict the note's table
        (dict(hinge_jump=0.5), "REFUTED"),
        (dict(zero_one=0.0), "REFUTED"),  # a convex 0-1 loss too
    ],
)
def test_verdict_properties(kwargs, label):
    v = q.verdict_properties(_shapes(**kwargs))
    assert v.label == label
    assert v.evidence["note"]["hinge"] == {"continuous": True, "convex": True, "smooth": False}
