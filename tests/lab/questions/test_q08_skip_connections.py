"""Question 8 (skip connections): experiments on tiny configs, scores on hand-worked maps, verdict rules."""

import dataclasses
import math

import pytest
import torch

from mustknow.lab.claims import PROFILES, Claim, Question
from mustknow.lab.questions import q08_skip_connections as q

CLAIMS = {c.id: c for c in q.QUESTION.claims}

# Tiny settings per experiment: each trial runs in a fraction of a second.
TINY = {
    q.run_gradients: dict(depths=(2, 3), width=8, grad_rows=16, train_steps=1, batch_size=32),
    q.run_degradation: dict(depth=2, width=8, steps=2),
    q.run_unet: dict(size=8, n_train=8, n_test=4, base_channels=2, steps=2, batch_size=8),
}


def tiny(claim):
    return [dataclasses.replace(cfg, **TINY[claim.experiment]) for cfg in claim.configs("quick")]


def result(seed, metrics, series=None, **config):
    return {"config": config, "seed": seed, "metrics": metrics, "series": series or {}}


# --------------------------------------------------------------------------- records


def test_question_record():
    assert isinstance(q.QUESTION, Question)
    assert q.QUESTION.number == 8
    assert set(CLAIMS) == {"q08.skips-keep-gradients", "q08.degradation", "q08.unet-skips-carry-edges"}
    assert all(name.startswith("mustknow.") for name in q.QUESTION.implemented_by)


@pytest.mark.parametrize("claim", q.QUESTION.claims, ids=lambda c: c.id)
def test_claim_records_validate(claim):
    assert isinstance(claim, Claim)
    assert claim.question == 8 and claim.id.startswith("q08.")
    assert claim.seeds["quick"] >= 5 and claim.seeds["full"] >= 10  # every claim compares paired arms
    for profile in PROFILES:
        configs = claim.trial_configs(profile)
        assert configs and all(isinstance(c, dict) for c in configs)
    assert claim.figure is not None


def test_configs_cover_both_arms_and_full_is_bigger():
    for configs, key in ((q.configs_gradients, "residual"), (q.configs_degradation, "residual"),
                         (q.configs_unet, "skip")):
        for profile in PROFILES:
            assert {getattr(c, key) for c in configs(profile)} == {False, True}
    assert max(q.configs_gradients("full")[0].depths) >= 32
    assert {c.depth for c in q.configs_degradation("full")} == {4, 8, 16, 32}
    assert q.configs_degradation("full")[0].steps > q.configs_degradation("quick")[0].steps
    assert q.configs_unet("full")[0].steps > q.configs_unet("quick")[0].steps


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


def test_gradient_experiment_names_every_depth_and_is_deterministic():
    cfg = tiny(CLAIMS["q08.skips-keep-gradients"])[0]
    a, b = q.run_gradients(cfg, 3), q.run_gradients(cfg, 3)
    assert a == b
    assert set(a["metrics"]) == {f"log10_grad_first_{s}_d{d}" for s in ("init", "trained") for d in (2, 3)}
    assert len(a["series"]["layers_init_d3"]) == 3


def test_degradation_curve_has_one_loss_per_step():
    cfg = tiny(CLAIMS["q08.degradation"])[0]
    out = q.run_degradation(cfg, 0)
    assert len(out["series"]["step_loss"]) == cfg.steps


# --------------------------------------------------------------------------- segmentation scores


def _halves(cols_of_one):
    m = torch.zeros(1, 4, 4, dtype=torch.long)
    m[..., :cols_of_one] = 1
    return m


# Target: columns 0-1 are class 1, columns 2-3 background; its boundary is columns 1 and 2.
# Worked by hand (see each row's comment).
SCORE_CASES = [
    # exact prediction: every score 1
    (_halves(2), dict(boundary_f=1.0, boundary_acc=1.0, interior_acc=1.0, miou=1.0)),
    # all background: no predicted edge (F = 0); col 2 right, col 1 wrong on the edge; IoU (8/16 + 0/8) / 2
    (_halves(0), dict(boundary_f=0.0, boundary_acc=0.5, interior_acc=0.5, miou=0.25)),
    # edge shifted one column right: within the 1-px tolerance (F = 1); col 2 wrong; IoU (8/12 + 4/8) / 2
    (_halves(3), dict(boundary_f=1.0, boundary_acc=0.5, interior_acc=1.0, miou=7 / 12)),
]


@pytest.mark.parametrize("pred,expected", SCORE_CASES)
def test_segmentation_scores_hand_worked(pred, expected):
    got = q.segmentation_scores(pred, _halves(2), num_classes=2)
    assert got == pytest.approx(expected)


def test_boundary_marks_both_sides_of_an_edge_and_nothing_on_a_flat_map():
    edge = q._boundary(_halves(2))
    assert edge[0].any(dim=0).tolist() == [False, True, True, False]
    assert not q._boundary(torch.zeros(2, 5, 5, dtype=torch.long)).any()


def test_scores_without_any_true_edge_give_nan_boundary_accuracy():
    flat = torch.zeros(1, 4, 4, dtype=torch.long)
    got = q.segmentation_scores(flat, flat, num_classes=2)
    assert math.isnan(got["boundary_acc"]) and got["interior_acc"] == 1.0 and got["miou"] == 1.0


# --------------------------------------------------------------------------- verdict rules


def _gradient_results(plain_drop, residual_drop, noise=0.0):
    out = []
    for seed in range(5):
        jitter = noise * (seed - 2)
        for residual, drop in ((False, plain_drop), (True, residual_drop)):
            metrics = {}
            for stage in ("init", "trained"):
                metrics[f"log10_grad_first_{stage}_d4"] = -1.0
                metrics[f"log10_grad_first_{stage}_d32"] = -1.0 + drop + jitter
            out.append(result(seed, metrics, residual=residual, depths=[4, 32]))
    return out


@pytest.mark.parametrize(
    "plain_drop,residual_drop,noise,label",
    [
        (-8.0, 0.5, 0.1, "SUPPORTED"),  # plain loses 8 orders, residual none
        (-8.0, -6.0, 0.1, "REFUTED"),  # residual vanishes too
        (-0.5, 0.5, 0.1, "NUANCED"),  # nothing vanished: nothing to prevent
        (-2.0, 0.5, 3.0, "INCONCLUSIVE"),  # plain interval straddles the threshold
    ],
)
def test_gradient_verdict(plain_drop, residual_drop, noise, label):
    v = q.verdict_gradients(_gradient_results(plain_drop, residual_drop, noise))
    assert v.label == label
    assert v.evidence["threshold_log10_drop"] == q.VANISH_LOG10_DROP
    assert "depth 32 over depth 4" in v.explanation_en


def _degradation_results(plain_gap, residual_gap, noise=0.01):
    out = []
    for seed in range(5):
        jitter = noise * (seed - 2)
        for residual, gap in ((False, plain_gap), (True, residual_gap)):
            out.append(result(seed, {"final_train_loss": 1.0}, {"step_loss": [2.0, 1.0]}, residual=residual, depth=4))
            out.append(result(seed, {"final_train_loss": 1.0 + gap + jitter}, {"step_loss": [2.0, 1.5]},
                              residual=residual, depth=16))
    return out


@pytest.mark.parametrize(
    "plain_gap,residual_gap,noise,label",
    [
        (0.6, -0.2, 0.01, "SUPPORTED"),  # plain degrades, residual does not
        (-0.1, 0.6, 0.01, "REFUTED"),  # the opposite
        (0.6, 0.6, 0.01, "NUANCED"),  # both degrade
        (0.05, -0.2, 0.5, "INCONCLUSIVE"),  # plain gap straddles the margin
    ],
)
def test_degradation_verdict(plain_gap, residual_gap, noise, label):
    v = q.verdict_degradation(_degradation_results(plain_gap, residual_gap, noise))
    assert v.label == label
    assert v.evidence["threshold_margin_nats"] == q.DEGRADE_MARGIN
    assert v.evidence["metrics"] == ["final_train_loss"]


def _unet_results(edge_gain, iou_gain, noise=0.01):
    out = []
    for seed in range(5):
        jitter = noise * (seed - 2)
        base = dict(boundary_acc=0.7, miou=0.6, interior_acc=0.99, boundary_f=0.8)
        better = dict(boundary_acc=0.7 + edge_gain + jitter, miou=0.6 + iou_gain + jitter, interior_acc=0.99,
                      boundary_f=0.9)
        out.append(result(seed, better, skip=True))
        out.append(result(seed, base, skip=False))
    return out


@pytest.mark.parametrize(
    "edge_gain,iou_gain,noise,label",
    [
        (0.2, 0.2, 0.01, "SUPPORTED"),
        (-0.2, -0.1, 0.01, "REFUTED"),
        (0.2, -0.1, 0.01, "NUANCED"),
        (0.01, 0.2, 0.2, "INCONCLUSIVE"),
    ],
)
def test_unet_verdict(edge_gain, iou_gain, noise, label):
    v = q.verdict_unet(_unet_results(edge_gain, iou_gain, noise))
    assert v.label == label
    assert v.evidence["metrics"][:2] == ["boundary_acc", "miou"]


# --------------------------------------------------------------------------- figures


def test_figures_render_from_hand_made_results(tmp_path):
    paths = q.figure_gradients(_gradient_results(-8.0, 0.5, 0.1), tmp_path)
    paths += q.figure_degradation(_degradation_results(0.6, -0.2), tmp_path)
    flat = [0.0] * 64
    unet = [dict(r, series={"example_image": flat, "example_mask": flat, "example_pred": flat}) for r in
            _unet_results(0.2, 0.2)]
    for r in unet:
        r["config"]["size"] = 8
    paths += q.figure_unet(unet, tmp_path)
    assert [p.name for p in paths] == ["q08_first_layer_gradient.png", "q08_degradation.png", "q08_unet_skips.png"]
    assert all(p.stat().st_size > 0 for p in paths)


# --------------------------------------------------------------------------- full profile: public image sets


def test_full_mlp_configs_use_fashion_mnist_when_its_files_are_there(image_data_root, monkeypatch):
    import mustknow.data.vision

    monkeypatch.setattr(mustknow.data.vision, "_warned", set())
    for cid, n_train in (("q08.skips-keep-gradients", q.FULL_N_TRAIN["gradients"]),
                         ("q08.degradation", q.FULL_N_TRAIN["degradation"])):
        configs = CLAIMS[cid].trial_configs("full")
        assert {(c["dataset"], c["n_train"]) for c in configs} == {("fashion_mnist", n_train)}, cid
    monkeypatch.delenv("MUSTKNOW_DATA")
    with pytest.warns(mustknow.data.vision.DatasetFallbackWarning):
        for cid in ("q08.skips-keep-gradients", "q08.degradation"):
            configs = CLAIMS[cid].trial_configs("full")
            assert {(c["dataset"], c["n_train"]) for c in configs} == {("digits", None)}, cid


def test_unet_stays_on_digit_canvases_in_the_full_profile(image_data_root):
    assert all("dataset" not in c for c in CLAIMS["q08.unet-skips-carry-edges"].trial_configs("full"))


@pytest.mark.parametrize("cid", ["q08.skips-keep-gradients", "q08.degradation"])
def test_full_config_runs_end_to_end_on_small_fashion_mnist(cid, image_data_root):
    claim = CLAIMS[cid]
    cfg = claim.configs("full")[-1]  # a residual arm
    assert cfg.dataset == "fashion_mnist" and cfg.residual
    cfg = dataclasses.replace(cfg, **TINY[claim.experiment], n_train=100)
    out = claim.experiment(cfg, 0)
    assert out["metrics"] and all(isinstance(v, float) and math.isfinite(v) for v in out["metrics"].values())
    assert all(v and all(math.isfinite(x) for x in v) for v in out["series"].values())


def test_full_results_name_their_data_set_in_the_verdict():
    results = _degradation_results(0.6, -0.2)
    for r in results:
        r["config"].update(dataset="fashion_mnist", n_train=20000)
    v = q.verdict_degradation(results)
    assert "Fashion-MNIST (20000 training images)" in v.explanation_en and "Fashion-MNIST" in v.explanation_zh
    assert v.evidence["dataset"] == "Fashion-MNIST"
    results = _gradient_results(-8.0, 0.5, 0.1)
    for r in results:
        r["config"].update(dataset="digits", n_train=None)
    v = q.verdict_gradients(results)
    assert "digits (its whole training split)" in v.explanation_en and v.evidence["n_train"] == [None]
