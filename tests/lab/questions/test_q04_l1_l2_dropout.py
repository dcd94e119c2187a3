"""Question 4 (L1/L2, dropout): experiments on tiny configs, verdict rules on hand-made results, records."""

import dataclasses
import math

import pytest
import torch

from mustknow.lab.claims import PROFILES, Claim, Question
from mustknow.lab.questions import _images
from mustknow.lab.questions import q04_l1_l2_dropout as q

CLAIMS = {c.id: c for c in q.QUESTION.claims}

# Tiny settings per experiment: each trial runs in a fraction of a second.
TINY = {
    q.run_path: dict(fractions=(0.5, 0.1), tol=1e-9, subgradient_steps=10),
    q.run_first_layer: dict(width=4, epochs=1, batch_size=512),
    q.run_dropout_mean: dict(ps=(0.5,), rows=16, width=8, masks=5),
    q.run_dropout_net: dict(width=8, epochs=1, batch_size=512, mask_rows=8, mask_features=32, mc_samples=(1, 3)),
}


def tiny(claim):
    return [dataclasses.replace(cfg, **TINY[claim.experiment]) for cfg in claim.configs("quick")]


_TINY_RESULTS = {}


def tiny_results(claim):
    """Stored-style results of the claim's tiny configs for seeds 0 and 1, computed once per experiment."""
    if claim.experiment not in _TINY_RESULTS:
        _TINY_RESULTS[claim.experiment] = [
            result(s, **claim.experiment(cfg, s)) | {"config": dataclasses.asdict(cfg)}
            for cfg in tiny(claim) for s in (0, 1)
        ]
    return _TINY_RESULTS[claim.experiment]


def result(seed, metrics, series=None, **config):
    return {"config": config, "seed": seed, "metrics": metrics, "series": series or {}}


# --------------------------------------------------------------------------- records


def test_question_record():
    assert isinstance(q.QUESTION, Question)
    assert q.QUESTION.number == 4
    assert q.QUESTION.title_zh.startswith("l1、l2原理")
    assert len(CLAIMS) == len(q.QUESTION.claims) == 5
    assert all(name.startswith("mustknow.") for name in q.QUESTION.implemented_by)


@pytest.mark.parametrize("claim", q.QUESTION.claims, ids=lambda c: c.id)
def test_claim_records_validate(claim):
    assert isinstance(claim, Claim)
    assert claim.question == 4 and claim.id.startswith("q04.")
    assert claim.seeds["quick"] >= 3 and claim.seeds["full"] >= 10
    for profile in PROFILES:
        configs = claim.trial_configs(profile)
        assert configs and all(isinstance(c, dict) for c in configs)
    assert claim.figure is not None


def test_paired_claims_have_five_quick_seeds_and_share_trials():
    masks, ensemble = CLAIMS["q04.dropout-masks-per-sample"], CLAIMS["q04.dropout-ensemble"]
    assert masks.seeds["quick"] >= 5 and ensemble.seeds["quick"] >= 5
    # One experiment and the same configs: the runner merges their trials.
    assert masks.experiment is ensemble.experiment
    assert masks.trial_configs("quick") == ensemble.trial_configs("quick")


def test_full_profile_is_bigger():
    assert len(q.configs_path("full")[0].fractions) > len(q.configs_path("quick")[0].fractions)
    assert q.configs_dropout_net("full")[0].epochs > q.configs_dropout_net("quick")[0].epochs
    assert q.configs_dropout_mean("full")[0].masks > q.configs_dropout_mean("quick")[0].masks


# --------------------------------------------------------------------------- experiments


@pytest.mark.parametrize("claim", q.QUESTION.claims, ids=lambda c: c.id)
def test_experiment_runs_tiny_and_returns_finite_metrics(claim):
    for out in tiny_results(claim):
        assert out["metrics"]
        for name, value in out["metrics"].items():
            assert isinstance(value, float), name
            assert math.isfinite(value), name
        for name, values in out["series"].items():
            assert all(math.isfinite(v) for v in values), name
    assert claim.verdict(tiny_results(claim)).label in ("SUPPORTED", "REFUTED", "NUANCED", "INCONCLUSIVE")


def test_path_agrees_with_sklearn_and_l2_has_no_zeros():
    m = tiny_results(CLAIMS["q04.l1-zeros-l2-shrinks"])[1]["metrics"]
    assert m["lasso_max_abs_diff"] < q.AGREE_TOL
    assert m["ridge_max_abs_diff"] < 1e-10
    assert m["l2_zeros_total"] == 0.0 and m["l2_min_abs_coef"] > 0
    assert m["l1_zeros_max"] >= 1.0  # at half of alpha_max most coefficients are exactly 0
    assert m["converged"] == 1.0


@pytest.mark.parametrize(
    "xty, alpha, expected",
    [
        # 1-D: minimise 0.5 w^2 - c w + alpha |w|  ->  w = sign(c) max(|c| - alpha, 0)
        ([3.0], 1.0, [2.0]),
        ([3.0], 5.0, [0.0]),
        ([-2.0], 0.5, [-1.5]),
        ([0.5, -4.0], 1.0, [0.0, -3.0]),  # identity Gram: coordinates separate
    ],
)
def test_ista_toy_cases_by_hand(xty, alpha, expected):
    d = len(xty)
    w, k = q._ista(torch.eye(d, dtype=torch.float64), torch.tensor(xty, dtype=torch.float64), alpha,
                   torch.zeros(d, dtype=torch.float64), 1.0, 1e-12, 100)
    assert w.tolist() == expected
    assert k <= 3


def test_first_layer_l1_gives_exact_zeros_and_l2_none():
    m = q.run_first_layer(q.FirstLayerConfig(width=8, epochs=2, batch_size=512, strength=0.05), 0)["metrics"]
    assert m["zero_fraction_l1"] > 0.0
    assert m["zero_fraction_l2"] == 0.0 and m["zero_fraction_none"] == 0.0
    assert m["weight_l1_l2"] < m["weight_l1_none"]


def test_dropout_mean_eval_is_identity_and_unscaled_mean_is_off_by_p():
    m = q.run_dropout_mean(q.DropoutMeanConfig(ps=(0.5,), rows=64, width=16, masks=40), 0)["metrics"]
    for impl in ("mustknow", "torch"):
        assert m[f"{impl}_p50_eval_max_abs_diff"] == 0.0
        assert abs(m[f"{impl}_p50_z_mean"]) < q.Z_MAX
        assert m[f"{impl}_p50_repeated_mask_fraction"] == 0.0
    assert m["mustknow_p50_unscaled_rel_diff"] == pytest.approx(-0.5, abs=0.05)


def test_identical_pairs_toy_cases():
    out = torch.tensor([[1.0, 0.0, 2.0], [1.0, 0.0, 2.0], [0.0, 0.0, 0.0], [2.0, 2.0, 2.0]])
    pairs, whole = q._identical_pairs(out)
    assert pairs == pytest.approx(1 / 6)  # one identical pair (rows 0, 1) of 6
    assert whole == 0.5  # rows 2 (all dropped) and 3 (all kept)


def test_batch_shared_dropout_shares_one_mask_and_is_identity_in_eval():
    torch.manual_seed(0)
    module = q.BatchSharedDropout(0.5)
    x = torch.ones(6, 40, requires_grad=True)
    y = module(x)
    assert (y == y[0]).all() and (y[0] == 0).any() and (y[0] == 2).any()
    y.sum().backward()
    assert torch.equal(x.grad, y.detach())  # d(x * m)/dx = m
    module.eval()
    assert torch.equal(module(x), x)


def test_dropout_net_masks_per_sample_and_shared_contrast():
    m = tiny_results(CLAIMS["q04.dropout-masks-per-sample"])[0]["metrics"]
    assert m["identical_pairs_mustknow"] == 0.0 and m["identical_pairs_torch"] == 0.0
    assert m["identical_pairs_shared"] == 1.0
    assert 0.0 <= m["agreement_mc1"] <= 1.0 and 0.0 <= m["test_acc_mc3"] <= 1.0


def test_experiments_are_deterministic_for_a_seed():
    cfg = q.DropoutNetConfig(**TINY[q.run_dropout_net])
    assert q.run_dropout_net(cfg, 2) == q.run_dropout_net(cfg, 2)
    cfg = q.DropoutMeanConfig(**TINY[q.run_dropout_mean])
    assert q.run_dropout_mean(cfg, 1) == q.run_dropout_mean(cfg, 1)


# --------------------------------------------------------------------------- figures


@pytest.mark.parametrize("claim", q.QUESTION.claims, ids=lambda c: c.id)
def test_figure_renders_from_tiny_results(claim, tmp_path):
    paths = claim.figure(tiny_results(claim), tmp_path)
    assert paths and all(p.exists() and p.stat().st_size > 0 for p in paths)


# --------------------------------------------------------------------------- verdict rules


def _path_results(zeros, l2_total=(0, 0, 0), lasso=1e-8, ridge=1e-12):
    return [
        result(s, dict(lasso_max_abs_diff=lasso, ridge_max_abs_diff=ridge, l1_zeros_mean=z, l2_zeros_total=t,
                       l2_min_abs_coef=1e-3, subgradient_zeros_at_mid=0.0, l1_zeros_at_mid=3.0, features=10.0))
        for s, (z, t) in enumerate(zip(zeros, l2_total))
    ]


@pytest.mark.parametrize(
    "kwargs, label",
    [
        (dict(zeros=(4.0, 4.2, 3.8)), "SUPPORTED"),
        (dict(zeros=(0.0, 0.1, 0.05)), "REFUTED"),  # L1 gives (almost) no zeros
        (dict(zeros=(4.0, 4.2, 3.8), l2_total=(0, 1, 0)), "REFUTED"),  # L2 gives a zero
        (dict(zeros=(0.2, 3.0, 1.0)), "INCONCLUSIVE"),  # interval straddles 1
        (dict(zeros=(4.0, 4.2, 3.8), lasso=1e-3), "INCONCLUSIVE"),  # cross-check failed
    ],
)
def test_verdict_path(kwargs, label):
    v = q.verdict_path(_path_results(**kwargs))
    assert v.label == label
    assert v.evidence["agree_tol"] == q.AGREE_TOL
    assert ("FAILED" in v.explanation_en) == ("lasso" in kwargs)


def _first_layer_results(l1, l2=(0.0, 0.0, 0.0)):
    return [
        result(s, dict(zero_fraction_l1=a, zero_fraction_l2=b, zero_fraction_none=0.0, val_acc_l1=0.9,
                       val_acc_l2=0.9, val_acc_none=0.9, dead_pixels_l1=0.0), strength=5e-3)
        for s, (a, b) in enumerate(zip(l1, l2))
    ]


@pytest.mark.parametrize(
    "l1, l2, label",
    [
        ((0.3, 0.25, 0.28), (0.0, 0.0, 0.0), "SUPPORTED"),
        ((0.01, 0.02, 0.015), (0.0, 0.0, 0.0), "REFUTED"),
        ((0.3, 0.25, 0.28), (0.0, 0.01, 0.0), "REFUTED"),
        ((0.0, 0.3, 0.12), (0.0, 0.0, 0.0), "INCONCLUSIVE"),
    ],
)
def test_verdict_first_layer(l1, l2, label):
    assert q.verdict_first_layer(_first_layer_results(l1, l2)).label == label


def _mean_results(z=0.5, eval_diff=0.0, repeats=0.0):
    metrics = {}
    for impl in q._IMPLS:
        key = f"{impl}_p50"
        metrics.update({f"{key}_z_mean": z, f"{key}_z_drop_rate": -0.3, f"{key}_eval_max_abs_diff": eval_diff,
                        f"{key}_repeated_mask_fraction": repeats,
                        f"{key}_rel_diff": 0.001, f"{key}_tol_rel": 0.004, f"{key}_unscaled_rel_diff": -0.5})
    return [result(s, dict(metrics), ps=[0.5]) for s in range(3)]


@pytest.mark.parametrize(
    "kwargs, label",
    [
        (dict(), "SUPPORTED"),
        (dict(z=12.0), "REFUTED"),  # the mean moved by 12 standard errors
        (dict(eval_diff=1e-3), "REFUTED"),  # eval mode is not the identity
        (dict(repeats=1.0), "REFUTED"),  # a fixed mask
    ],
)
def test_verdict_dropout_mean(kwargs, label):
    # A two-sided z test against a bound fixed from the sample size: no undecided outcome.
    assert q.verdict_dropout_mean(_mean_results(**kwargs)).label == label


def _net_results(ours=0.0, agree=(0.99, 0.995, 0.985, 0.99, 0.992), diff=(0.0, 0.003, -0.002, 0.001, -0.001)):
    out = []
    for s, (a, d) in enumerate(zip(agree, diff)):
        out.append(result(s, dict(
            identical_pairs_mustknow=ours, identical_pairs_torch=0.0, identical_pairs_shared=1.0,
            whole_rows_mustknow=0.0, val_acc_per_sample=0.95, val_acc_shared=0.94 + 0.001 * s,
            val_loss_per_sample=0.2, val_loss_shared=0.3 - 0.01 * s, agreement_mc100=a, agreement_mc1=0.85,
            test_acc_mc100=0.95 + d, test_acc_deterministic=0.95, test_acc_mc1=0.82,
        ), mask_rows=128, mc_samples=[1, 100]))
    return out


@pytest.mark.parametrize("ours, label", [(0.0, "SUPPORTED"), (0.5, "REFUTED")])
def test_verdict_masks(ours, label):
    # Identical-mask fractions are checked against a bound, seed by seed: no undecided outcome.
    assert q.verdict_masks(_net_results(ours=ours)).label == label


@pytest.mark.parametrize(
    "agree, diff, label",
    [
        ((0.99, 0.995, 0.985, 0.99, 0.992), (0.0, 0.003, -0.002, 0.001, -0.001), "SUPPORTED"),
        ((0.80, 0.82, 0.81, 0.79, 0.80), (0.05, 0.06, 0.055, 0.05, 0.052), "REFUTED"),
        ((0.99, 0.995, 0.985, 0.99, 0.992), (0.05, 0.06, 0.055, 0.05, 0.052), "NUANCED"),
        ((0.90, 0.99, 0.93, 0.999, 0.96), (0.0, 0.003, -0.002, 0.001, -0.001), "INCONCLUSIVE"),
    ],
)
def test_verdict_ensemble(agree, diff, label):
    assert q.verdict_ensemble(_net_results(agree=agree, diff=diff)).label == label


# --------------------------------------------------------------------------- full profile: MNIST


def _full_datasets():
    return {cfg["dataset"] for c in q.QUESTION.claims for cfg in c.trial_configs("full") if "dataset" in cfg}


def test_full_configs_ask_for_mnist_when_its_files_are_there_else_digits(image_data_root, monkeypatch):
    from mustknow.data import vision

    monkeypatch.setattr(vision, "_warned", set())
    assert _full_datasets() == {"mnist"}
    for configs in (q.configs_first_layer, q.configs_dropout_net):
        (cfg,) = configs("full")
        assert (cfg.dataset, cfg.n_train) == ("mnist", q.FULL_N_TRAIN)
    assert all("dataset" not in cfg for c in q.QUESTION.claims for cfg in c.trial_configs("quick"))
    monkeypatch.delenv("MUSTKNOW_DATA")
    with pytest.warns(vision.DatasetFallbackWarning):
        assert _full_datasets() == {"digits"}
    assert q.configs_dropout_net("full")[0].n_train is None  # all 1079 training digits


def test_full_data_is_mnist_pixels_standardised_per_channel(image_data_root):
    ds = _images.mlp_data(q.FullFirstLayerConfig(dataset="mnist", n_train=100))
    assert ds.name == "mnist" and tuple(ds.train.x.shape) == (100, 784)
    assert float(ds.train.x.mean()) == pytest.approx(0.0, abs=1e-5)
    assert float(ds.train.x.std(unbiased=False)) == pytest.approx(1.0, abs=1e-4)
    assert _images.mlp_data(q.FirstLayerConfig()).train.x.shape[1] == 64  # quick: the standardised digits


def test_full_configs_run_end_to_end_on_small_mnist_and_verdicts_name_it(image_data_root):
    first = dataclasses.replace(q.configs_first_layer("full")[0], n_train=50, **TINY[q.run_first_layer])
    net = dataclasses.replace(q.configs_dropout_net("full")[0], n_train=50, **TINY[q.run_dropout_net])
    runs = {}
    for cfg, run in ((first, q.run_first_layer), (net, q.run_dropout_net)):
        runs[run] = [result(s, **run(cfg, s)) | {"config": dataclasses.asdict(cfg)} for s in (0, 1)]
        for r in runs[run]:
            assert r["metrics"] and all(math.isfinite(v) for v in r["metrics"].values())
    assert len(runs[q.run_first_layer][0]["series"]["pixel_nonzero_l1"]) == 784
    assert 0.0 <= runs[q.run_dropout_net][0]["metrics"]["test_acc_deterministic"] <= 1.0
    for verdict, res in ((q.verdict_first_layer, runs[q.run_first_layer]), (q.verdict_masks, runs[q.run_dropout_net]),
                         (q.verdict_ensemble, runs[q.run_dropout_net])):
        v = verdict(res)
        assert v.evidence["dataset"] == "MNIST"
        assert "Data: MNIST (50 training images)." in v.explanation_en
        assert "数据:MNIST(50 张训练图像)" in v.explanation_zh
