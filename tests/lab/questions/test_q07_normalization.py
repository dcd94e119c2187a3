"""Question 7 (normalisation): experiments on tiny configs, verdict rules on hand-made results, records."""

import dataclasses
import math

import pytest
import torch

import mustknow.data.vision
from mustknow.data import DatasetFallbackWarning
from mustknow.lab.claims import PROFILES, Claim, Question
from mustknow.lab.questions import q07_normalization as q

CLAIMS = {c.id: c for c in q.QUESTION.claims}

# Tiny settings per experiment: each trial runs in a fraction of a second (CPU).
TINY = {
    q.run_axes: dict(batch=4, channels=4, groups=2),
    q.run_small_batch: dict(batch_sizes=(2, 4), n_train=16, epochs=1, width=8, channels=2),
    q.run_scale: dict(rows=32, width=8, depth=3),
    q.run_saturation: dict(depth=1, width=8, epochs=1, batch_size=512),
    q.run_rnn: dict(hidden=4, epochs=1, batch_size=512, mlp_width=4),
    q.run_instance: dict(width=4, epochs=1, batch_size=512),
    q.run_lr_sweep: dict(lrs=(0.1, 1.0), depth=1, width=8, batch_size=512, epochs=1, eval_every=1),
}


def tiny(claim):
    return [dataclasses.replace(cfg, **TINY[claim.experiment]) for cfg in claim.configs("quick")]


def result(seed, metrics, series=None, **config):
    return {"config": config, "seed": seed, "metrics": metrics, "series": series or {}}


# --------------------------------------------------------------------------- records


def test_question_record():
    assert isinstance(q.QUESTION, Question)
    assert q.QUESTION.number == 7
    assert len(CLAIMS) == len(q.QUESTION.claims) == 7
    assert all(name.startswith("mustknow.") for name in q.QUESTION.implemented_by)


@pytest.mark.filterwarnings("ignore::mustknow.data.DatasetFallbackWarning")  # full configs without the files
@pytest.mark.parametrize("claim", q.QUESTION.claims, ids=lambda c: c.id)
def test_claim_records_validate(claim):
    assert isinstance(claim, Claim)
    assert claim.question == 7 and claim.id.startswith("q07.")
    assert claim.seeds["quick"] >= 3 and claim.seeds["full"] >= 10
    for profile in PROFILES:
        configs = claim.trial_configs(profile)
        assert configs and all(isinstance(c, dict) for c in configs)
    assert claim.figure is not None


@pytest.mark.filterwarnings("ignore::mustknow.data.DatasetFallbackWarning")
def test_full_small_batch_covers_wu_and_he_sizes():
    quick = q.configs_small_batch("quick")
    full = q.configs_small_batch("full")
    assert {c.arch for c in quick} == {c.arch for c in full} == {"mlp", "cnn"}
    assert all(c.batch_sizes == (2, 4, 8, 16, 32) for c in full)
    assert all(set(c.batch_sizes) < {2, 4, 8, 16, 32} for c in quick)
    # No batch of a single sample (BN has no batch variance there): n_train divisible by every size.
    assert all(c.n_train % b == 0 for c in quick + full for b in c.batch_sizes)


#: The set each trained experiment's full configs ask for (claims 1 and 3 stay on digits).
FULL_SETS = {
    "q07.bn-small-batch": {"mlp": "fashion_mnist", "cnn": "cifar10"},
    "q07.bn-before-activation-saturation": "fashion_mnist",
    "q07.ln-helps-rnn": "fashion_mnist",
    "q07.in-removes-contrast": "fashion_mnist",
    "q07.bn-faster-larger-lr": "mnist",
}


def _asked(claim):
    want = FULL_SETS[claim.id]
    return [want[c["arch"]] if isinstance(want, dict) else want for c in claim.trial_configs("full")]


def test_full_configs_ask_for_the_public_sets_when_their_files_are_there(image_data_root):
    for claim in q.QUESTION.claims:
        configs = claim.configs("full")
        if claim.id not in FULL_SETS:  # exact identities: no data set field, digits as before
            assert not any(hasattr(c, "dataset") for c in configs)
            continue
        assert [c.dataset for c in configs] == _asked(claim)
        want = q.SMALL_BATCH_FULL_N_TRAIN if claim.id == "q07.bn-small-batch" else q.FULL_N_TRAIN
        assert all(c.n_train == want for c in configs)
    assert all(q.SMALL_BATCH_FULL_N_TRAIN % b == 0 for b in q.configs_small_batch("full")[0].batch_sizes)


def test_full_configs_name_digits_and_keep_the_digits_sizes_without_the_files(monkeypatch):
    monkeypatch.delenv("MUSTKNOW_DATA", raising=False)
    monkeypatch.setattr(mustknow.data.vision, "_warned", set())
    with pytest.warns(DatasetFallbackWarning) as record:
        configs = {c.id: c.configs("full") for c in q.QUESTION.claims if c.id in FULL_SETS}
    assert sorted(str(w.message).split()[0] for w in record) == ["cifar10", "fashion_mnist", "mnist"]  # once each
    assert all(cfg.dataset == "digits" for cfgs in configs.values() for cfg in cfgs)
    assert {c.n_train for c in configs["q07.bn-small-batch"]} == {1056}
    assert all(c.n_train is None for k, cfgs in configs.items() if k != "q07.bn-small-batch" for c in cfgs)
    assert configs["q07.bn-before-activation-saturation"][0].epochs == 40


def test_full_configs_reject_unknown_data_sets():
    with pytest.raises(ValueError, match="dataset"):
        q.FullSaturationConfig(dataset="imagenet")
    with pytest.raises(ValueError, match="dataset"):  # the row-by-row RNN reads one-channel images
        q.FullRNNConfig(dataset="cifar10")


# Full-profile experiments shrunk to the fixture's tiny sets (240 training images after validation).
TINY_FULL = {
    q.run_small_batch: dict(batch_sizes=(2, 4), n_train=40, epochs=1, width=8, channels=2),
    q.run_saturation: dict(depth=1, width=8, epochs=1, batch_size=512, n_train=40),
    q.run_rnn: dict(hidden=4, epochs=1, batch_size=512, mlp_width=4, n_train=40),
    q.run_instance: dict(width=4, epochs=1, batch_size=512, n_train=40),
    q.run_lr_sweep: dict(lrs=(0.1, 1.0), depth=1, width=8, batch_size=512, epochs=1, eval_every=1, n_train=40),
}


@pytest.mark.parametrize("claim_id", sorted(FULL_SETS))
def test_full_experiment_runs_on_the_public_sets(image_data_root, claim_id):
    claim = CLAIMS[claim_id]
    quick = claim.experiment(tiny(claim)[0], 0)
    extra = {"train_steps"} if claim_id == "q07.ln-helps-rnn" else set()
    for cfg in claim.configs("full"):
        out = claim.experiment(dataclasses.replace(cfg, **TINY_FULL[claim.experiment]), 0)
        assert set(out["metrics"]) == set(quick["metrics"]) | extra  # the same measurements as on digits
        assert all(isinstance(v, float) and math.isfinite(v) for v in out["metrics"].values())
        assert set(out["series"]) == set(quick["series"])
        assert all(isinstance(v, float) for values in out["series"].values() for v in values)
    if extra:
        assert out["metrics"]["train_steps"] == 1.0  # 40 images, batch 512, one epoch


@pytest.mark.filterwarnings("ignore::mustknow.data.DatasetFallbackWarning")
def test_lr_sweep_uses_the_papers_network():
    for profile in PROFILES:
        cfg = q.configs_lr_sweep(profile)[0]
        assert (cfg.depth, cfg.width, cfg.batch_size) == (3, 100, 60)


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
        assert all(isinstance(v, float) for v in values), name


def test_axes_experiment_measures_identities():
    out = q.run_axes(q.AxesConfig(batch=4, channels=4, groups=2), 1)["metrics"]
    for kind in ("batch", "layer", "instance", "group"):
        assert out[f"mean_dev_{kind}"] < 1e-10 and out[f"var_dev_{kind}"] < 1e-10
        assert out[f"finer_dev_{kind}"] > 0.1
        assert out[f"torch_diff_{kind}"] < 1e-10


def test_scale_experiment_is_deterministic_and_exact():
    cfg = q.ScaleConfig(rows=32, width=8, depth=3)
    a, b = q.run_scale(cfg, 3), q.run_scale(cfg, 3)
    assert a == b
    assert max(v for k, v in a["metrics"].items() if k.startswith("out_diff_a")) < 1e-10
    assert a["metrics"]["out_diff_eps_a0.1"] > a["metrics"]["out_diff_a0.1"]  # eps breaks the identity at small a


def test_saturation_threshold_is_where_the_derivative_drops_to_the_fraction():
    for act, f, fmax in (("tanh", lambda z: 1 - math.tanh(z) ** 2, 1.0),
                         ("sigmoid", lambda z: (s := 1 / (1 + math.exp(-z))) * (1 - s), 0.25)):
        z = q._saturation_threshold(act)
        assert f(z) / fmax == pytest.approx(q.SAT_DERIV_FRACTION, rel=1e-9)


def test_row_rnn_shapes_and_norm_kinds():
    x = torch.rand(5, 1, 8, 8)
    for norm in ("none", "layer", "batch"):
        model = q.RowRNN(8, 8, 6, 10, norm)
        assert model(x).shape == (5, 10)
    shared = q.RowRNN(8, 8, 6, 10, "layer")
    assert len({id(m) for m in shared.norms}) == 1  # one LN shared over time
    per_step = q.RowRNN(8, 8, 6, 10, "batch")
    assert len({id(m) for m in per_step.norms}) == 8  # BN statistics per time step


def test_contrast_task_labels_are_levels():
    split = q._digits().test
    task = q._contrast_task(split, (0.5, 1.0), torch.Generator().manual_seed(0))
    ratio = task.x.flatten(1).amax(1) / split.x.flatten(1).amax(1)  # (N, 64) -> (N,)
    assert torch.allclose(ratio, torch.tensor([0.5, 1.0])[task.y])


# --------------------------------------------------------------------------- verdict rules


def _axes_results(dev, finer):
    m = {}
    for k in ("batch", "layer", "instance", "group"):
        m.update({f"mean_dev_{k}": dev, f"var_dev_{k}": dev, f"finer_dev_{k}": finer, f"torch_diff_{k}": 1e-15})
    return [result(s, dict(m)) for s in range(3)]


@pytest.mark.parametrize("dev, finer, label", [
    (1e-15, 0.8, "SUPPORTED"),  # exact on the stated axes, not on a finer slice
    (0.3, 0.8, "REFUTED"),  # the stated axes are not normalised
    (1e-15, 1e-15, "INCONCLUSIVE"),  # a finer slice is normalised too: the axes are not pinned down
])
def test_verdict_axes(dev, finer, label):
    assert q.verdict_axes(_axes_results(dev, finer)).label == label


def _small_batch_results(bn_small, noise=0.01):
    out = []
    for arch in ("mlp", "cnn"):
        for s in range(5):
            e = noise * (s - 2)
            m = {"err_batch_b2": bn_small[arch] + e, "err_batch_b32": 0.10 + e, "err_group_b2": 0.10 + e,
                 "err_group_b32": 0.10 + e, "err_layer_b2": 0.10 + e, "err_layer_b32": 0.10 + e}
            out.append(result(s, m, arch=arch, batch_sizes=[2, 32], norms=["batch", "group", "layer"]))
    return out


def test_verdict_small_batch_labels():
    assert q.verdict_small_batch(_small_batch_results({"mlp": 0.4, "cnn": 0.3})).label == "SUPPORTED"
    assert q.verdict_small_batch(_small_batch_results({"mlp": 0.1, "cnn": 0.1})).label == "REFUTED"
    assert q.verdict_small_batch(_small_batch_results({"mlp": 0.4, "cnn": 0.1})).label == "NUANCED"
    noisy = _small_batch_results({"mlp": 0.4, "cnn": 0.3})
    for r, jitter in zip(noisy, [0.3, -0.3, 0.3, -0.3, 0.3] * 2):  # BN at B=2 all over the place
        r["metrics"]["err_batch_b2"] = 0.12 + jitter
    assert q.verdict_small_batch(noisy).label == "INCONCLUSIVE"
    v = q.verdict_small_batch(_small_batch_results({"mlp": 0.4, "cnn": 0.3}))
    assert v.evidence["threshold"] == q.SMALL_BATCH_MARGIN
    assert "err_batch_b2" in v.evidence["metrics"]


def _scale_results(out_diff, bn_excess, none_excess):
    scales = [0.1, 10.0]
    out = []
    for s in range(3):
        m = {}
        for a in scales:
            m.update({f"out_diff_a{a:g}": out_diff, f"grad_ratio_err_a{a:g}": out_diff, f"grad_elem_err_a{a:g}": out_diff,
                      f"out_diff_eps_a{a:g}": 0.02, f"deep_excess_batch_a{a:g}": bn_excess,
                      f"deep_excess_none_a{a:g}": none_excess, f"deep_log10_ratio_none_a{a:g}": 5.0,
                      f"deep_log10_ratio_batch_a{a:g}": -1.0})
        out.append(result(s, m, scales=scales, depth=8))
    return out


@pytest.mark.parametrize("out_diff, bn_excess, none_excess, label", [
    (1e-15, 1e-3, 8.0, "SUPPORTED"),
    (0.5, 1e-3, 8.0, "REFUTED"),  # BN(aWx) != BN(Wx): the identity fails
    (1e-15, 1e-3, 0.2, "NUANCED"),  # invariance holds but the plain deep net does not explode either
])
def test_verdict_scale(out_diff, bn_excess, none_excess, label):
    assert q.verdict_scale(_scale_results(out_diff, bn_excess, none_excess)).label == label


def _saturation_results(sat_none, centre_none, spread=0.01):
    out = []
    for s in range(5):
        e = spread * (s - 2)
        m = {}
        for act in ("tanh", "sigmoid"):
            m.update({f"sat_{act}_none": sat_none + e, f"sat_{act}_batch": 0.1, f"centre_{act}_none": centre_none + e,
                      f"centre_{act}_batch": 0.1, f"acc_{act}_none": 0.9, f"acc_{act}_batch": 0.9})
        out.append(result(s, m, activations=["tanh", "sigmoid"]))
    return out


@pytest.mark.parametrize("sat_none, centre_none, spread, label", [
    (0.4, 0.5, 0.01, "SUPPORTED"),
    (0.02, 0.02, 0.01, "REFUTED"),
    (0.4, 0.02, 0.01, "NUANCED"),  # fewer saturated units, but no better centred
    (0.1, 0.1, 0.2, "INCONCLUSIVE"),
])
def test_verdict_saturation(sat_none, centre_none, spread, label):
    assert q.verdict_saturation(_saturation_results(sat_none, centre_none, spread)).label == label


def _rnn_results(rnn_gain, mlp_gain, spread=0.005):
    out = []
    for s in range(5):
        e = spread * (s - 2)
        m = {"acc_rnn_none": 0.8, "acc_rnn_layer": 0.8 + rnn_gain + e, "acc_rnn_batch": 0.85,
             "acc_mlp_none": 0.9, "acc_mlp_layer": 0.9 + mlp_gain - e}
        m.update({k.replace("acc_", "loss_"): 1.0 - v for k, v in m.items()})
        out.append(result(s, m, batch_size=64, epochs=3))
    return out


@pytest.mark.parametrize("rnn_gain, mlp_gain, spread, label", [
    (0.1, 0.0, 0.005, "SUPPORTED"),
    (-0.1, 0.0, 0.005, "REFUTED"),
    (0.1, 0.2, 0.005, "NUANCED"),  # LN helps the RNN, but helps the MLP more
    (0.01, 0.0, 0.1, "INCONCLUSIVE"),
])
def test_verdict_rnn(rnn_gain, mlp_gain, spread, label):
    assert q.verdict_rnn(_rnn_results(rnn_gain, mlp_gain, spread)).label == label


def _instance_results(in_diff, acc_in, spread=0.01):
    return [result(s, {"in_max_diff": in_diff, "bn_max_diff": 2.0, "acc_level_instance": acc_in + spread * (s - 2),
                       "acc_level_batch": 0.99, "chance": 1 / 3}) for s in range(5)]


@pytest.mark.parametrize("in_diff, acc_in, spread, label", [
    (1e-4, 0.34, 0.01, "SUPPORTED"),
    (0.5, 0.34, 0.01, "REFUTED"),  # IN not invariant
    (1e-4, 0.95, 0.01, "REFUTED"),  # the IN-first net still finds the contrast
    (1e-4, 0.7, 0.3, "INCONCLUSIVE"),
])
def test_verdict_instance(in_diff, acc_in, spread, label):
    assert q.verdict_instance(_instance_results(in_diff, acc_in, spread)).label == label


def _lr_results(bn_steps, none_steps, none_reached_lr10):
    lrs = [0.1, 1.0, 10.0]
    out = []
    for s in range(5):
        m = {"budget": 54.0}
        for lr in lrs:
            key = f"lr{lr:g}"
            none_ok = lr < 10 or none_reached_lr10
            m.update({f"steps_none_{key}": none_steps + s, f"steps_batch_{key}": bn_steps + s,
                      f"reached_none_{key}": float(none_ok), f"reached_batch_{key}": 1.0 if lr < 10 else 0.0,
                      f"diverged_none_{key}": 0.0, f"diverged_batch_{key}": 0.0,
                      f"final_loss_none_{key}": 1.0, f"final_loss_batch_{key}": 0.5})
        out.append(result(s, m, lrs=lrs, target=0.9, eval_every=6))
    return out


@pytest.mark.parametrize("bn_steps, none_steps, none_lr10, label", [
    (30.0, 50.0, False, "SUPPORTED"),  # faster, and (set below) BN alone reaches the target at lr 10
    (50.0, 30.0, True, "REFUTED"),  # slower and the plain net tolerates the larger rate
    (30.0, 50.0, True, "NUANCED"),  # faster but no larger usable rate
])
def test_verdict_lr_sweep(bn_steps, none_steps, none_lr10, label):
    results = _lr_results(bn_steps, none_steps, none_lr10)
    if label == "SUPPORTED":  # make BN's largest good rate the largest: it reaches at lr 10, the plain net does not
        for r in results:
            r["metrics"]["reached_batch_lr10"] = 1.0
    assert q.verdict_lr_sweep(results).label == label


def test_verdict_lr_sweep_undecided_speed():
    results = _lr_results(40.0, 40.0, False)
    for r, jitter in zip(results, (-5.0, 5.0, -5.0, 5.0, 0.0)):
        r["metrics"]["steps_batch_lr1"] += jitter
        r["metrics"]["reached_batch_lr10"] = 1.0
    assert q.verdict_lr_sweep(results).label == "INCONCLUSIVE"


def test_verdict_small_batch_names_each_architectures_data_set():
    quick = q.verdict_small_batch(_small_batch_results({"mlp": 0.4, "cnn": 0.3}))
    assert quick.evidence["mlp"]["dataset"] == quick.evidence["cnn"]["dataset"] == "digits"
    results = _small_batch_results({"mlp": 0.4, "cnn": 0.3})
    for r in results:
        r["config"]["dataset"] = q.SMALL_BATCH_FULL_DATASETS[r["config"]["arch"]]
    v = q.verdict_small_batch(results)
    assert (v.evidence["mlp"]["dataset"], v.evidence["cnn"]["dataset"]) == ("Fashion-MNIST", "CIFAR-10")
    assert "MLP on Fashion-MNIST" in v.explanation_en and "CNN on CIFAR-10" in v.explanation_en
    assert "Fashion-MNIST 上的 MLP" in v.explanation_zh and "CIFAR-10 上的 CNN" in v.explanation_zh


@pytest.mark.parametrize("verdict, make, dataset, name", [
    (q.verdict_saturation, lambda: _saturation_results(0.4, 0.5), "fashion_mnist", "Fashion-MNIST"),
    (q.verdict_rnn, lambda: _rnn_results(0.1, 0.0), "fashion_mnist", "Fashion-MNIST"),
    (q.verdict_instance, lambda: _instance_results(1e-4, 0.34), "fashion_mnist", "Fashion-MNIST"),
    (q.verdict_lr_sweep, lambda: _lr_results(30.0, 50.0, False), "mnist", "MNIST"),
    (q.verdict_lr_sweep, lambda: _lr_results(30.0, 50.0, False), "digits", "digits"),  # a full config's fallback
], ids=["saturation", "rnn", "instance", "lr-sweep", "lr-sweep-digits"])
def test_verdicts_name_the_data_set_of_full_results(verdict, make, dataset, name):
    assert verdict(make()).evidence["dataset"] == "digits"  # quick results: no dataset field
    results = make()
    for r in results:
        r["config"]["dataset"] = dataset
    v = verdict(results)
    assert v.evidence["dataset"] == name
    assert name in v.explanation_en and name in v.explanation_zh


def test_verdict_rnn_counts_the_steps_a_full_trial_took():
    results = _rnn_results(0.1, 0.0)
    assert "after 51 Adam steps" in q.verdict_rnn(results).explanation_en  # quick: 17 batches of 64 digits, 3 epochs
    for r in results:
        r["metrics"]["train_steps"] = 3130.0
    assert "after 3130 Adam steps" in q.verdict_rnn(results).explanation_en


# --------------------------------------------------------------------------- figures


def test_figures_render(tmp_path):
    claim = CLAIMS["q07.bn-small-batch"]
    paths = claim.figure(_small_batch_results({"mlp": 0.4, "cnn": 0.3}), tmp_path)
    assert paths and all(p.exists() for p in paths)
    paths = CLAIMS["q07.norm-axes"].figure(_axes_results(1e-15, 0.8), tmp_path)
    assert paths and all(p.exists() for p in paths)
