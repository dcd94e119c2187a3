"""Question 6 (activations): experiments on tiny configs, verdict rules on hand-made results, records."""

import dataclasses
import math

import pytest
import torch

from mustknow.lab.claims import PROFILES, Claim, Question
from mustknow.lab.questions import q06_activations as q

CLAIMS = {c.id: c for c in q.QUESTION.claims}

# Tiny settings per experiment: each trial runs in a fraction of a second.
TINY = {
    q.run_gradient_depth: dict(depths=(2, 5), width=4, grad_rows=32, batch_size=512),
    q.run_sign_agreement: dict(depth=3, width=8, batch_size=4, num_batches=2, toy_steps=5),
    q.run_saturation: dict(depth=2, width=8),
    q.run_timing: dict(rows=8, cols=16, repeats=2),
    q.run_training: dict(depth=2, width=8, epochs=2, batch_size=512),
    q.run_leaky_alpha: dict(points=61),
    q.run_deep_net: dict(depth=3, width=8, epochs=1, batch_size=512),
}


def tiny(claim):
    return [dataclasses.replace(cfg, **TINY[claim.experiment]) for cfg in claim.configs("quick")]


def result(seed, metrics, series=None, **config):
    return {"config": config, "seed": seed, "metrics": metrics, "series": series or {}}


# --------------------------------------------------------------------------- records


def test_question_record():
    assert isinstance(q.QUESTION, Question)
    assert q.QUESTION.number == 6
    assert q.QUESTION.note_figures == ("activations",)
    assert len(CLAIMS) == len(q.QUESTION.claims) == 9
    assert all(name.startswith("mustknow.") for name in q.QUESTION.implemented_by)


@pytest.mark.parametrize("claim", q.QUESTION.claims, ids=lambda c: c.id)
def test_claim_records_validate(claim):
    assert isinstance(claim, Claim)
    assert claim.question == 6 and claim.id.startswith("q06.")
    assert claim.seeds["quick"] >= 3 and claim.seeds["full"] >= 10
    for profile in PROFILES:
        configs = claim.trial_configs(profile)
        assert configs and all(isinstance(c, dict) for c in configs)
    assert claim.figure is not None


def test_paired_claims_have_five_quick_seeds():
    for cid in ("q06.sigmoid-not-zero-centred-zigzag", "q06.dying-relu", "q06.elu-centred-faster"):
        assert CLAIMS[cid].seeds["quick"] >= 5


def test_quick_configs_are_lighter_than_full():
    quick = q.configs_deep_net("quick")[0]
    full = q.configs_deep_net("full")[0]
    assert quick.depth == full.depth == 30
    assert quick.epochs < full.epochs
    assert len(q.configs_deep_net("quick")) < len(q.configs_deep_net("full"))


# --------------------------------------------------------------------------- experiments


@pytest.mark.parametrize("claim", q.QUESTION.claims, ids=lambda c: c.id)
def test_experiment_runs_tiny_and_returns_finite_metrics(claim):
    cfg = tiny(claim)[0]
    out = claim.experiment(cfg, 0)
    assert set(out) == {"metrics", "series"}
    assert out["metrics"]
    for name, value in out["metrics"].items():
        assert isinstance(value, float), name
        assert math.isfinite(value), name
    for name, values in out["series"].items():
        assert all(math.isfinite(v) for v in values), name


def test_experiments_are_deterministic_for_a_seed():
    cfg = dataclasses.replace(q.TrainingConfig(), **TINY[q.run_training])
    assert q.run_training(cfg, 3) == q.run_training(cfg, 3)
    cfg = dataclasses.replace(q.SignConfig(), **TINY[q.run_sign_agreement])
    assert q.run_sign_agreement(cfg, 1) == q.run_sign_agreement(cfg, 1)


def test_sigmoid_fed_single_example_gradients_share_one_sign():
    # dL/dW_ij = delta_i * x_j with x_j = sigmoid(.) > 0: every row has one sign, exactly.
    out = q.run_sign_agreement(dataclasses.replace(q.SignConfig(), **TINY[q.run_sign_agreement]), 0)
    assert out["metrics"]["one_sign_fraction_single"] == 1.0
    assert out["metrics"]["toy_same_sign_update_fraction"] == 1.0


def test_one_sign_fraction_toy_cases():
    grad = torch.tensor([[1.0, 2.0], [-1.0, -0.5], [1.0, -1.0], [0.0, 1.0]])
    assert q._one_sign_fraction(grad) == 0.5


def test_leaky_alpha_negative_slope_is_non_monotone():
    out = q.run_leaky_alpha(q.AlphaConfig(alphas=(0.01, -0.5), points=61), 0)["metrics"]
    assert out["monotone_0.01"] == 1.0 and out["derivative_sign_changes_0.01"] == 0.0
    assert out["monotone_-0.5"] == 0.0 and out["derivative_sign_changes_-0.5"] == 1.0
    assert out["slope_negative_side_-0.5"] == -0.5


def test_dead_mask_marks_units_never_active():
    from mustknow.nn import make_mlp

    torch.manual_seed(0)
    model = make_mlp(2, 2, 1, 3, activation="relu")
    with torch.no_grad():
        model.blocks[0].layer.weight.copy_(torch.tensor([[1.0, 0.0], [-1.0, 0.0], [0.0, 0.0]]))
        model.blocks[0].layer.bias.zero_()
    x = torch.tensor([[1.0, 5.0], [2.0, -3.0]])
    assert q._dead_mask(model, x).tolist() == [False, True, True]


def test_diverged_training_run_is_flagged_with_nan_metrics():
    cfg = dataclasses.replace(q.TrainingConfig(activation="elu", lr=1e4), **TINY[q.run_training])
    out = q.run_training(cfg, 0)["metrics"]
    assert out["diverged"] == 1.0
    assert math.isnan(out["dead_fraction"])


# --------------------------------------------------------------------------- figures


@pytest.mark.parametrize("claim", q.QUESTION.claims, ids=lambda c: c.id)
def test_figure_renders_from_tiny_results(claim, tmp_path):
    results = [result(0, **claim.experiment(cfg, 0)) | {"config": dataclasses.asdict(cfg)} for cfg in tiny(claim)]
    paths = claim.figure(results, tmp_path)
    assert paths and all(p.exists() and p.stat().st_size > 0 for p in paths)


# --------------------------------------------------------------------------- verdict rules


def _grad(values):
    """Sigmoid results: {(init, when): [per-seed log10 ratios at depth 5]}."""
    out = []
    for init in ("default", "xavier"):
        for seed in range(3):
            metrics = {f"log10_ratio_{w}_d5": values[(init, w)][seed] for w in ("init", "trained")}
            out.append(result(seed, metrics, activation="sigmoid", init=init, depths=[5]))
    return out


@pytest.mark.parametrize(
    "values, label",
    [
        ({(i, w): [-4.0, -4.2, -3.9] for i in ("default", "xavier") for w in ("init", "trained")}, "SUPPORTED"),
        ({(i, w): [-0.5, -0.6, -0.4] for i in ("default", "xavier") for w in ("init", "trained")}, "REFUTED"),
        ({(i, w): [-4.0, 0.0, -2.0] for i in ("default", "xavier") for w in ("init", "trained")}, "INCONCLUSIVE"),
        ({**{("default", w): [-4.0, -4.2, -3.9] for w in ("init", "trained")},
          **{("xavier", w): [-0.5, -0.6, -0.4] for w in ("init", "trained")}}, "NUANCED"),
    ],
)
def test_verdict_gradient_depth(values, label):
    v = q.verdict_gradient_depth(_grad(values))
    assert v.label == label
    assert v.evidence["threshold_log10_ratio"] == q.VANISH_LOG10_RATIO


def _sign(sig, tan):
    return [result(s, {"one_sign_fraction_batch": v, "one_sign_fraction_single": 1.0,
                       "toy_same_sign_update_fraction": 1.0}, activation=a, batch_size=32)
            for a, vals in (("sigmoid", sig), ("tanh", tan)) for s, v in enumerate(vals)]


@pytest.mark.parametrize(
    "sig, tan, label",
    [
        ([0.9, 0.92, 0.95], [0.0, 0.01, 0.02], "SUPPORTED"),
        ([0.1, 0.12, 0.11], [0.05, 0.06, 0.04], "REFUTED"),
        ([0.1, 0.9, 0.5], [0.0, 0.0, 0.0], "INCONCLUSIVE"),
    ],
)
def test_verdict_sign_agreement(sig, tan, label):
    assert q.verdict_sign_agreement(_sign(sig, tan)).label == label


def _sat(abs_mean, saturated_at_4):
    out = []
    for act in ("tanh", "sigmoid"):
        for scale in (1.0, 2.0, 4.0):
            for s in range(3):
                sat = saturated_at_4[s] if (act == "tanh" and scale == 4.0) else 0.0
                mean = abs_mean[s] if act == "tanh" else 0.5
                out.append(result(s, {"mean_abs_layer_mean": mean, "saturated_fraction": sat},
                                  activation=act, scale=scale))
    return out


@pytest.mark.parametrize(
    "abs_mean, saturated, label",
    [
        ([0.01, 0.02, 0.01], [0.5, 0.6, 0.55], "SUPPORTED"),
        ([0.3, 0.35, 0.32], [0.01, 0.0, 0.02], "REFUTED"),
        ([0.01, 0.02, 0.01], [0.0, 0.3, 0.1], "INCONCLUSIVE"),
        ([0.01, 0.02, 0.01], [0.01, 0.0, 0.02], "NUANCED"),
    ],
)
def test_verdict_saturation(abs_mean, saturated, label):
    assert q.verdict_saturation(_sat(abs_mean, saturated)).label == label


def _timing(ratios):
    out = []
    for s, r in enumerate(ratios):
        metrics = {f"ratio_{impl}_{a}": (r if impl == "torch" else 1.0)
                   for impl in ("torch", "mustknow") for a in q._ACTS5}
        out.append(result(s, metrics))
    return out


@pytest.mark.parametrize(
    "ratios, label",
    [([2.0, 2.1, 1.9], "SUPPORTED"), ([0.5, 0.6, 0.55], "REFUTED"), ([0.5, 1.5, 1.0], "INCONCLUSIVE")],
)
def test_verdict_timing(ratios, label):
    assert q.verdict_timing(_timing(ratios)).label == label


def _train(act, lr, seed, curve=(1.0,), **metrics):
    base = {"diverged": 0.0, "zero_fraction": 0.0, "abs_mean_activation": 0.5, "dead_fraction": 0.0,
            "dead_early_count": 0.0, "revived_count": 0.0}
    return result(seed, {**base, **metrics}, {"train_loss": list(curve)}, activation=act, lr=lr, epochs=6)


@pytest.mark.parametrize(
    "relu, others, label",
    [
        ([0.5, 0.5, 0.52], [0.0, 0.0, 0.0], "SUPPORTED"),
        ([0.05, 0.04, 0.06], [0.3, 0.3, 0.3], "REFUTED"),
        ([0.1, 0.4, 0.25], [0.0, 0.0, 0.0], "INCONCLUSIVE"),
    ],
)
def test_verdict_sparsity(relu, others, label):
    results = [_train("relu", 0.1, s, zero_fraction=v) for s, v in enumerate(relu)]
    results += [_train(a, 0.1, s, zero_fraction=v) for a in ("leaky_relu", "elu", "tanh") for s, v in enumerate(others)]
    assert q.verdict_sparsity(results).label == label


def _dying(low, high, dead_early, revived):
    results = [_train("relu", 0.01, s, dead_fraction=v) for s, v in enumerate(low)]
    results += [_train("relu", 0.5, s, dead_fraction=v, dead_early_count=dead_early, revived_count=revived)
                for s, v in enumerate(high)]
    return results


@pytest.mark.parametrize(
    "low, high, dead_early, revived, label",
    [
        ([0.0, 0.01, 0.0], [0.3, 0.35, 0.4], 10.0, 0.0, "SUPPORTED"),
        ([0.0, 0.01, 0.0], [0.0, 0.01, 0.0], 10.0, 10.0, "REFUTED"),
        ([0.0, 0.01, 0.0], [0.3, 0.35, 0.4], 10.0, 10.0, "NUANCED"),
        ([0.0, 0.0, 0.0], [0.0, 0.2, 0.05], 0.0, 0.0, "INCONCLUSIVE"),
    ],
)
def test_verdict_dying(low, high, dead_early, revived, label):
    assert q.verdict_dying(_dying(low, high, dead_early, revived)).label == label


def test_verdict_dying_leaves_diverged_runs_out():
    results = _dying([0.0, 0.01, 0.0], [0.3, 0.35, 0.4], 10.0, 0.0)
    nan = float("nan")
    results.append(_train("relu", 0.5, 3, diverged=1.0, dead_fraction=nan, dead_early_count=nan, revived_count=nan))
    v = q.verdict_dying(results)
    assert v.label == "SUPPORTED"
    assert v.evidence["diverged_runs"]["relu@0.5"] == 1


def _elu(elu_mean, relu_mean, elu_epoch, relu_epoch):
    def curve(epoch):  # reaches the target loss at `epoch` (1-based); 7 = never within 6 epochs
        return [1.0 if i + 1 < epoch else 0.1 for i in range(6)]

    out = []
    for s in range(5):
        out.append(_train("elu", 0.1, s, abs_mean_activation=elu_mean[s], curve=curve(elu_epoch[s])))
        out.append(_train("relu", 0.1, s, abs_mean_activation=relu_mean[s], curve=curve(relu_epoch[s])))
    return out


@pytest.mark.parametrize(
    "elu_mean, relu_mean, elu_epoch, relu_epoch, label",
    [
        ([0.3] * 5, [0.9, 0.8, 0.95, 0.85, 0.9], [2, 2, 3, 2, 2], [5, 4, 5, 6, 5], "SUPPORTED"),
        ([0.9, 0.8, 0.95, 0.85, 0.9], [0.3] * 5, [5, 4, 5, 6, 5], [2, 2, 3, 2, 2], "REFUTED"),
        ([0.3] * 5, [0.9, 0.8, 0.95, 0.85, 0.9], [5, 4, 5, 6, 5], [2, 2, 3, 2, 2], "NUANCED"),
        ([0.3, 0.9, 0.3, 0.9, 0.6], [0.6] * 5, [2, 5, 3, 5, 4], [4] * 5, "INCONCLUSIVE"),
    ],
)
def test_verdict_elu(elu_mean, relu_mean, elu_epoch, relu_epoch, label):
    assert q.verdict_elu(_elu(elu_mean, relu_mean, elu_epoch, relu_epoch)).label == label


def test_epochs_to_target_counts_never_reached_as_epochs_plus_one():
    r = _train("elu", 0.1, 0, curve=[2.0, 1.0])  # diverged early: a shorter curve, config epochs = 6
    assert q._epochs_to_target(r) == 7.0
    r = _train("elu", 0.1, 0, curve=[2.0, q.ELU_TARGET_LOSS, 0.1])
    assert q._epochs_to_target(r) == 2.0


def _alpha(default, negative_monotone):
    metrics = {"default_negative_slope": default}
    for a in (0.01, -0.5):
        mono = 1.0 if a > 0 or negative_monotone else 0.0
        metrics |= {f"monotone_{a:g}": mono, f"derivative_sign_changes_{a:g}": 1.0 - mono}
    return [result(s, metrics, alphas=[0.01, -0.5]) for s in range(3)]


@pytest.mark.parametrize(
    "default, negative_monotone, label",
    [(0.01, False, "REFUTED"), (-0.01, False, "SUPPORTED"), (0.01, True, "INCONCLUSIVE")],
)
def test_verdict_leaky_alpha(default, negative_monotone, label):
    assert q.verdict_leaky_alpha(_alpha(default, negative_monotone)).label == label


def _deep(losses):
    """losses: {(activation, init): [per-seed final losses]} (no BN) plus a BN contrast."""
    out = []
    for (act, init), values in losses.items():
        out += [result(s, {"final_train_loss": v}, activation=act, init=init, norm="none")
                for s, v in enumerate(values)]
    out += [result(s, {"final_train_loss": 0.5}, activation="relu", init="default", norm="batch") for s in range(3)]
    return out


STALL, LEARN, MIXED = [2.30, 2.31, 2.30], [1.0, 1.1, 0.9], [1.0, 2.3, 2.9]


@pytest.mark.parametrize(
    "cells, label",
    [
        ({("relu", "default"): STALL, ("relu", "kaiming"): STALL, ("elu", "default"): LEARN,
          ("elu", "kaiming"): LEARN}, "SUPPORTED"),
        ({("relu", "default"): LEARN, ("relu", "kaiming"): LEARN, ("elu", "default"): STALL,
          ("elu", "kaiming"): STALL}, "REFUTED"),
        ({("relu", "default"): STALL, ("relu", "kaiming"): LEARN, ("elu", "default"): STALL,
          ("elu", "kaiming"): LEARN}, "NUANCED"),
        ({("relu", "default"): STALL, ("relu", "kaiming"): MIXED, ("elu", "default"): LEARN,
          ("elu", "kaiming"): MIXED}, "INCONCLUSIVE"),
    ],
)
def test_verdict_deep_net(cells, label):
    v = q.verdict_deep_net(_deep(cells))
    assert v.label == label
    assert v.evidence["cells"]["relu/default/batch"]["state"] == "converged"


# --------------------------------------------------------------------------- full profile: public image sets

# The experiments that read images, the set their full configs ask for, and tiny settings for a full config.
FULL_SETS = {
    "q06.sigmoid-vanishes-by-5-layers": "mnist",
    "q06.sigmoid-not-zero-centred-zigzag": "mnist",
    "q06.tanh-centred-but-saturates": "mnist",
    "q06.relu-sparse": "mnist",
    "q06.dying-relu": "mnist",
    "q06.elu-centred-faster": "fashion_mnist",
    "q06.thirty-layers-without-bn": "mnist",
}


def test_full_configs_use_the_public_sets_when_their_files_are_there(image_data_root, monkeypatch):
    import mustknow.data.vision

    monkeypatch.setattr(mustknow.data.vision, "_warned", set())
    for cid, name in FULL_SETS.items():
        configs = CLAIMS[cid].trial_configs("full")
        assert {c["dataset"] for c in configs} == {name}, cid
        assert {c["n_train"] for c in configs} == {q.FULL_N_TRAIN}, cid
    monkeypatch.delenv("MUSTKNOW_DATA")
    with pytest.warns(mustknow.data.vision.DatasetFallbackWarning):
        for cid in FULL_SETS:
            configs = CLAIMS[cid].trial_configs("full")
            assert {(c["dataset"], c["n_train"]) for c in configs} == {("digits", None)}, cid


def test_claims_without_image_data_keep_their_full_configs():
    for cid in ("q06.relu-cheaper", "q06.leaky-alpha-sign"):
        assert all("dataset" not in c for c in CLAIMS[cid].trial_configs("full"))


@pytest.mark.parametrize("cid", FULL_SETS)
def test_full_config_runs_end_to_end_on_small_public_sets(cid, image_data_root):
    claim = CLAIMS[cid]
    cfg = claim.configs("full")[0]
    assert isinstance(cfg, q.FullData) and cfg.dataset == FULL_SETS[cid]
    cfg = dataclasses.replace(cfg, **TINY[claim.experiment], n_train=100)
    out = claim.experiment(cfg, 0)
    assert out["metrics"] and all(isinstance(v, float) and math.isfinite(v) for v in out["metrics"].values())
    assert all(math.isfinite(v) for values in out["series"].values() for v in values)


def test_full_configs_reject_an_unknown_data_set():
    with pytest.raises(ValueError, match="dataset='imagenet' must be one of 'digits', 'mnist'"):
        q.FullTrainingConfig(dataset="imagenet", n_train=100)


def test_verdicts_name_the_full_profile_data_set():
    results = [_train("relu", 0.1, s, zero_fraction=0.5) for s in range(3)]
    results += [_train(a, 0.1, s) for a in ("leaky_relu", "elu", "tanh") for s in range(3)]
    assert "Data:" not in q.verdict_sparsity(results).explanation_en  # quick results name no data set
    for r in results:
        r["config"].update(dataset="mnist", n_train=10000)
    v = q.verdict_sparsity(results)
    assert "MNIST (10000 training images)" in v.explanation_en and "MNIST" in v.explanation_zh
    assert v.evidence["dataset"] == "MNIST" and v.evidence["n_train"] == [10000]
