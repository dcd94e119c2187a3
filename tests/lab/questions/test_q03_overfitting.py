"""Question 3 (overfitting): the experiment on tiny configs, verdict rules on hand-made results, records."""

import dataclasses
import math

import pytest
import torch

from mustknow.lab.claims import PROFILES, Claim, Question
from mustknow.lab.questions import q03_overfitting as q
from mustknow.lab.runner import expand
from mustknow.nn import make_mlp

CLAIMS = {c.id: c for c in q.QUESTION.claims}
TINY = dict(n_train=20, width=8, epochs=3, eval_every=1)
METRIC_KEYS = {
    "train_loss", "train_acc", "val_loss", "val_acc", "test_loss", "test_acc", "gap_loss", "gap_acc",
    "val_min_loss", "val_min_epoch", "val_rise", "train_fall", "epochs_run", "parameters", "train_size",
}


def metrics(**overrides):
    """A complete metrics dict: neutral values, then the overrides."""
    m = {k: 0.0 for k in METRIC_KEYS}
    m.update(train_size=100.0, parameters=1000.0, epochs_run=40.0, val_min_epoch=10.0)
    m.update(overrides)
    return m


def result(seed, config=None, series=None, **metric_values):
    config = dataclasses.asdict(config or q.OverfitConfig())
    return {"config": config, "seed": seed, "metrics": metrics(**metric_values), "series": series or {}}


def arm(regulariser="none", strength=0.0, max_shift=0):
    return q.OverfitConfig(regulariser=regulariser, strength=strength, max_shift=max_shift)


# --------------------------------------------------------------------------- records


def test_question_record():
    assert isinstance(q.QUESTION, Question)
    assert q.QUESTION.number == 3
    assert len(CLAIMS) == len(q.QUESTION.claims) == 3 + len(q.REGULARISERS) + 1
    assert all(name.startswith("mustknow.") for name in q.QUESTION.implemented_by)


@pytest.mark.parametrize("claim", q.QUESTION.claims, ids=lambda c: c.id)
def test_claim_records_validate(claim):
    assert isinstance(claim, Claim)
    assert claim.question == 3 and claim.id.startswith("q03.")
    assert claim.seeds["quick"] >= 5 and claim.seeds["full"] >= 10
    for profile in PROFILES:
        assert claim.trial_configs(profile)
    assert claim.figure is not None


def test_regulariser_claims_have_five_fresh_quick_seeds_and_share_the_baseline():
    for reg in q.REGULARISERS:
        claim = CLAIMS[f"q03.regulariser-{reg.replace('_', '-')}"]
        assert claim.seeds["quick"] - q.N_SELECTION_SEEDS >= 5
        assert claim.configs("quick")[0] == q.OverfitConfig()
    # The baseline, and the causes' configs equal to it, run once per seed across all claims.
    trials = expand(q.QUESTION.claims, "quick", "/nonexistent")
    baseline = [t for t in trials if t.config == q.OverfitConfig()]
    assert len(baseline) == q._REG_SEEDS["quick"]
    assert len(baseline[0].claims) > len(q.REGULARISERS)


def test_quick_is_lighter_than_full():
    for configs in (q.configs_data_size, q.configs_width, q.configs_all_regularisers):
        assert len(configs("quick")) < len(configs("full"))
    assert q.configs_iterations("quick")[0].epochs < q.configs_iterations("full")[0].epochs


# --------------------------------------------------------------------------- experiment


@pytest.mark.parametrize("reg", ["none", *q.REGULARISERS])
def test_experiment_runs_tiny_with_each_regulariser(reg):
    strength = {"none": 0.0, "l1": 1e-3, "l2": 1e-2, "dropout": 0.5, "augmentation": 10.0, "noise": 0.1,
                "early_stopping": 1.0, "multitask": 1.0, "batchnorm": 1.0}[reg]
    cfg = q.OverfitConfig(regulariser=reg, strength=strength, max_shift=1 if reg == "augmentation" else 0, **TINY)
    out = q.run_overfit(cfg, 0)
    assert set(out["metrics"]) == METRIC_KEYS
    assert all(isinstance(v, float) and math.isfinite(v) for v in out["metrics"].values())
    m = out["metrics"]
    assert m["train_size"] == 20.0
    assert m["gap_acc"] == pytest.approx(m["train_acc"] - m["val_acc"])
    assert m["gap_loss"] == pytest.approx(m["val_loss"] - m["train_loss"])
    assert m["val_rise"] >= 0.0 and m["val_min_loss"] <= m["val_loss"] + 1e-12
    assert len(out["series"]["train_loss"]) == m["epochs_run"]
    assert len(out["series"]["val_loss"]) == len(out["series"]["val_epochs"])


def test_experiment_is_deterministic_and_seed_dependent():
    cfg = q.OverfitConfig(regulariser="dropout", strength=0.3, **TINY)
    a, b, c = q.run_overfit(cfg, 1), q.run_overfit(cfg, 1), q.run_overfit(cfg, 2)
    assert a == b
    assert a["metrics"]["test_loss"] != c["metrics"]["test_loss"]


def test_arms_of_a_seed_share_the_baseline_initial_weights():
    base, _, _ = q._setup(q.OverfitConfig(**TINY), 3)
    for reg in ("dropout", "multitask", "batchnorm"):
        model, _, _ = q._setup(q.OverfitConfig(regulariser=reg, strength=0.5, **TINY), 3)
        for b0, b1 in zip(base.blocks, model.blocks):
            assert torch.equal(b0.layer.weight, b1.layer.weight)


def test_unknown_regulariser_raises():
    with pytest.raises(ValueError, match="regulariser='ridge' must be 'none' or one of"):
        q.run_overfit(q.OverfitConfig(regulariser="ridge", **TINY), 0)


def test_two_head_mlp_heads_and_eval_mode():
    net = q.TwoHeadMLP(make_mlp(64, 10, 1, 16), 64)
    x = torch.rand(5, 1, 8, 8)
    logits, recon, target = net(x)
    assert logits.shape == (5, 10) and recon.shape == (5, 64)
    assert torch.equal(target, x.flatten(1))
    net.eval()
    assert torch.equal(net(x), logits)


def test_multitask_loss_adds_weighted_reconstruction():
    torch.manual_seed(0)
    logits, recon, x = torch.randn(4, 10), torch.randn(4, 64), torch.randn(4, 64)
    y = torch.tensor([0, 1, 2, 3])
    ce = torch.nn.functional.cross_entropy(logits, y)
    mse = torch.nn.functional.mse_loss(recon, x)
    assert q._multitask_loss(3.0)((logits, recon, x), y) == pytest.approx(float(ce + 3.0 * mse), rel=1e-5)
    assert q._multitask_loss(3.0)(logits, y) == pytest.approx(float(ce), rel=1e-5)


# --------------------------------------------------------------------------- verdict: too little data

SIZES = (50, 100, None)


def data_results(gaps, jitter=0.01, seeds=5, common=0.0):
    """gaps[i] = (acc gap, loss gap) at SIZES[i]; per-seed jitter differing by size, plus offsets common to sizes."""
    out = []
    for i, ((ga, gl), n) in enumerate(zip(gaps, SIZES)):
        for s in range(seeds):
            d = jitter * ((s * 7 + i * 3) % 5 - 2) + common * (s - seeds // 2)
            out.append(result(s, q.OverfitConfig(n_train=n), gap_acc=ga + d, gap_loss=gl + 10 * d,
                              train_size=float(n or 1079)))
    return out


@pytest.mark.parametrize(
    "gaps, jitter, label",
    [
        (((0.2, 2.0), (0.1, 1.0), (0.03, 0.1)), 0.01, "SUPPORTED"),
        (((0.05, 0.3), (0.05, 0.3), (0.05, 0.3)), 0.001, "REFUTED"),
        (((0.2, 2.0), (0.0, 0.0), (0.03, 0.1)), 0.01, "NUANCED"),  # not monotone
        (((0.2, 2.0), (0.05, 1.0), (0.2, 0.1)), 0.01, "NUANCED"),  # loss supports, accuracy refutes
        (((0.1, 1.0), (0.08, 0.5), (0.03, 0.1)), 0.2, "INCONCLUSIVE"),
    ],
)
def test_verdict_data_size(gaps, jitter, label):
    assert q.verdict_data_size(data_results(gaps, jitter)).label == label


def test_verdict_data_size_paired_jitter_cancels():
    # Per-seed offsets common to both sizes cancel in the paired drop.
    v = q.verdict_data_size(data_results(((0.2, 2.0), (0.1, 1.0), (0.1, 0.9)), jitter=0.0, common=0.3))
    assert v.label == "SUPPORTED"
    assert v.evidence["gap_acc_drop"]["low"] == pytest.approx(0.1)


# --------------------------------------------------------------------------- verdict: too many parameters


def width_results(curve_acc, curve_loss, jitter=0.01, seeds=5):
    widths = (4, 16, 64, 512)
    out = []
    for i, (w, ga, gl) in enumerate(zip(widths, curve_acc, curve_loss)):
        for s in range(seeds):
            noise = jitter * ((s * 7 + i * 3) % 5 - 2)
            out.append(result(s, q.OverfitConfig(width=w), gap_acc=ga + noise, gap_loss=gl + 10 * noise))
    return out


@pytest.mark.parametrize(
    "acc, loss, jitter, label",
    [
        ((0.02, 0.1, 0.15, 0.16), (0.1, 0.5, 1.0, 1.1), 0.005, "SUPPORTED"),
        ((0.02, 0.15, 0.1, 0.05), (0.1, 1.0, 0.5, 0.3), 0.005, "NUANCED"),  # second descent
        ((0.05, 0.05, 0.05, 0.05), (0.3, 0.3, 0.3, 0.3), 0.005, "REFUTED"),
        ((0.02, 0.06, 0.08, 0.08), (0.1, 0.3, 0.4, 0.4), 0.05, "INCONCLUSIVE"),
    ],
)
def test_verdict_width(acc, loss, jitter, label):
    v = q.verdict_width(width_results(acc, loss, jitter))
    assert v.label == label
    assert v.evidence["widths"] == [4, 16, 64, 512]


# --------------------------------------------------------------------------- verdict: too many iterations


@pytest.mark.parametrize(
    "rise, fall, spread, label",
    [
        (0.5, 0.1, 0.01, "SUPPORTED"),
        (0.01, 0.1, 0.005, "REFUTED"),
        (0.5, -0.05, 0.01, "NUANCED"),  # validation rises but the training loss does not keep falling
        (0.1, 0.1, 0.5, "INCONCLUSIVE"),
    ],
)
def test_verdict_iterations(rise, fall, spread, label):
    res = [result(s, val_rise=rise + spread * (s - 2), train_fall=fall + 0.1 * spread * (s - 2))
           for s in range(5)]
    assert q.verdict_iterations(res).label == label


def test_verdict_iterations_needs_two_seeds():
    assert q.verdict_iterations([result(0, val_rise=1.0, train_fall=1.0)]).label == "INCONCLUSIVE"


# --------------------------------------------------------------------------- verdict: regularisers


def reg_results(reg, loss_change, acc_change, spread=0.01, eval_seeds=5):
    """Baseline plus two strengths; the weaker is best on validation, and the only one that moves test scores."""
    out = []
    grid = q._GRIDS["quick"][reg]
    for s in range(q.N_SELECTION_SEEDS + eval_seeds):
        d = spread * (s % 3 - 1)
        out.append(result(s, arm(), val_loss=1.0, test_loss=1.0 + 0.1 * s, test_acc=0.8))
        for i, (strength, shift) in enumerate(grid):
            chosen = i == 0
            # On selection seeds the test scores are absurd: they must not matter.
            test_loss = 99.0 if s < q.N_SELECTION_SEEDS else 1.0 + 0.1 * s + (loss_change + d if chosen else -5.0)
            test_acc = 0.0 if s < q.N_SELECTION_SEEDS else 0.8 + (acc_change + d / 10 if chosen else 0.1)
            out.append(result(s, arm(reg, strength, shift), val_loss=0.5 if chosen else 0.9,
                              test_loss=test_loss, test_acc=test_acc))
    return out


@pytest.mark.parametrize(
    "loss_change, acc_change, spread, label",
    [
        (-0.5, 0.0, 0.01, "SUPPORTED"),
        (0.0, 0.05, 0.01, "SUPPORTED"),
        (0.5, 0.0, 0.01, "REFUTED"),
        (-0.5, -0.05, 0.01, "NUANCED"),
        (-0.01, 0.0, 0.5, "INCONCLUSIVE"),
    ],
)
@pytest.mark.parametrize("reg", ["l2", "augmentation"])
def test_verdict_regulariser(reg, loss_change, acc_change, spread, label):
    v = q.verdict_regulariser(reg, reg_results(reg, loss_change, acc_change, spread))
    assert v.label == label
    strength, shift = q._GRIDS["quick"][reg][0]
    assert v.evidence["chosen"] == q._strength_name(reg, strength, shift)  # chosen on validation, not test
    assert v.evidence["eval_seeds"] == list(range(q.N_SELECTION_SEEDS, q.N_SELECTION_SEEDS + 5))
    if label != "INCONCLUSIVE":
        assert v.evidence["test_loss_change"]["mean"] == pytest.approx(loss_change)


def test_verdict_regulariser_without_fresh_seeds_is_inconclusive():
    res = [r for r in reg_results("l1", -0.5, 0.0) if r["seed"] < q.N_SELECTION_SEEDS]
    assert q.verdict_regulariser("l1", res).label == "INCONCLUSIVE"


def test_verdict_all_regularisers():
    good = [r for reg in q.REGULARISERS for r in reg_results(reg, -0.5, 0.0) if r["config"]["regulariser"] != "none"]
    base = [r for r in reg_results("l1", 0.0, 0.0) if r["config"]["regulariser"] == "none"]
    assert q.verdict_all_regularisers(base + good).label == "SUPPORTED"
    mixed = [r for r in good if r["config"]["regulariser"] != "noise"]
    mixed += [r for r in reg_results("noise", 0.5, 0.0) if r["config"]["regulariser"] == "noise"]
    v = q.verdict_all_regularisers(base + mixed)
    assert v.label == "NUANCED"
    assert v.evidence["noise"]["label"] == "REFUTED"
    bad = [r for reg in q.REGULARISERS for r in reg_results(reg, 0.5, 0.0) if r["config"]["regulariser"] != "none"]
    assert q.verdict_all_regularisers(base + bad).label == "REFUTED"


# --------------------------------------------------------------------------- figures


def test_figures_render(tmp_path):
    curves = {"train_loss": [2.0, 1.0, 0.5, 0.2], "val_loss": [1.5, 1.8], "val_acc": [0.5, 0.6],
              "val_epochs": [2, 4]}
    iters = [result(s, series=curves, val_min_epoch=2.0, val_min_loss=1.5) for s in range(3)]
    regs = [r for reg in q.REGULARISERS for r in reg_results(reg, -0.5, 0.0)]
    paths = [
        *q.figure_data_size(data_results(((0.2, 2.0), (0.1, 1.0), (0.03, 0.1))), tmp_path),
        *q.figure_width(width_results((0.02, 0.1, 0.15, 0.16), (0.1, 0.5, 1.0, 1.1)), tmp_path),
        *q.figure_iterations(iters, tmp_path),
        *q.figure_regulariser("multitask", reg_results("multitask", -0.5, 0.0), tmp_path),
        *q.figure_forest(regs, tmp_path),
    ]
    assert len(paths) == 5
    assert all(p.exists() and p.stat().st_size > 1000 for p in paths)


# --------------------------------------------------------------------------- full profile: Fashion-MNIST


def _full_datasets():
    return {cfg["dataset"] for c in q.QUESTION.claims for cfg in c.trial_configs("full")}


def test_full_configs_ask_for_fashion_mnist_when_its_files_are_there_else_digits(image_data_root, monkeypatch):
    from mustknow.data import vision

    monkeypatch.setattr(vision, "_warned", set())
    assert _full_datasets() == {"fashion_mnist"}  # every full config names its data set
    assert [c.n_train for c in q.configs_data_size("full")] == list(q._FULL_PUBLIC_SIZES)
    assert all("dataset" not in cfg for c in q.QUESTION.claims for cfg in c.trial_configs("quick"))
    monkeypatch.delenv("MUSTKNOW_DATA")
    with pytest.warns(vision.DatasetFallbackWarning):
        assert _full_datasets() == {"digits"}
    assert [c.n_train for c in q.configs_data_size("full")] == list(q._SIZES["full"])


@pytest.mark.parametrize("reg", ["none", "multitask", "augmentation"])
def test_full_config_runs_end_to_end_on_small_fashion_mnist(image_data_root, reg):
    cfg = dataclasses.replace(q.configs_iterations("full")[0], regulariser=reg, strength=0.0 if reg == "none" else 1.0,
                              max_shift=1 if reg == "augmentation" else 0, **TINY)
    assert cfg.dataset == "fashion_mnist"
    out = q.run_overfit(cfg, 0)
    m = out["metrics"]
    assert set(m) == METRIC_KEYS and all(math.isfinite(v) for v in m.values())
    assert m["train_size"] == 20.0
    trunk = 784 * 8 + 8 + 8 * 8 + 8 + 8 * 10 + 10  # 784 Fashion-MNIST pixels in
    assert m["parameters"] == trunk + (8 * 784 + 784 if reg == "multitask" else 0)


def test_full_verdicts_name_the_data_set(image_data_root):
    cfg = dataclasses.replace(q.configs_iterations("full")[0], **TINY)
    res = [{"config": dataclasses.asdict(cfg), "seed": s, **q.run_overfit(cfg, s)} for s in (0, 1)]
    v = q.verdict_iterations(res)
    assert v.evidence["dataset"] == "Fashion-MNIST"
    assert v.explanation_en.endswith(" Data: Fashion-MNIST (20 training images).")
    assert "数据:Fashion-MNIST" in v.explanation_zh
    quick = [result(s, val_rise=0.5, train_fall=0.1) for s in range(3)]
    assert "dataset" not in q.verdict_iterations(quick).evidence  # quick results: digits, said by the claim
