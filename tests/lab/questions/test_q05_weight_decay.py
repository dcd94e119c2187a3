"""Question 5 (weight decay): experiments on tiny configs, verdict rules on hand-made results, records."""

import dataclasses
import math

import pytest
import torch

from mustknow.lab.claims import PROFILES, Claim, Question
from mustknow.lab.questions import q05_weight_decay as q

CLAIMS = {c.id: c for c in q.QUESTION.claims}

# Tiny settings per experiment: each trial runs in a fraction of a second.
TINY = {
    q.run_equivalence: dict(width=4, steps=4, batch_size=256),
    q.run_adam_adamw: dict(lrs=(1e-2,), decays=(0.1,), width=4, epochs=2, batch_size=512),
    q.run_decay_sweep: dict(decays=(0.0, 0.1), n_train=50, width=8, epochs=3),
}


def tiny(claim):
    return [dataclasses.replace(cfg, **TINY[claim.experiment]) for cfg in claim.configs("quick")]


def result(seed, metrics, series=None, **config):
    return {"config": config, "seed": seed, "metrics": metrics, "series": series or {}}


_TINY_RESULTS = {}


def tiny_results(claim):
    """Stored-style results of the claim's tiny configs for seeds 0 and 1 (cached per config)."""
    out = []
    for cfg in tiny(claim):
        for s in (0, 1):
            key = (claim.experiment, cfg, s)
            if key not in _TINY_RESULTS:
                _TINY_RESULTS[key] = result(s, **claim.experiment(cfg, s)) | {"config": dataclasses.asdict(cfg)}
            out.append(_TINY_RESULTS[key])
    return out


# --------------------------------------------------------------------------- records


def test_question_record():
    assert isinstance(q.QUESTION, Question)
    assert q.QUESTION.number == 5
    assert q.QUESTION.title_zh == "weight decay和范数正则有什么关系?"
    assert len(CLAIMS) == len(q.QUESTION.claims) == 4
    assert all(name.startswith("mustknow.") for name in q.QUESTION.implemented_by)
    for words in ("AdamW", "weight_decay=2l", "divided by the learning rate"):
        assert words in q.QUESTION.answer_en


@pytest.mark.parametrize("claim", q.QUESTION.claims, ids=lambda c: c.id)
def test_claim_records_validate(claim):
    assert isinstance(claim, Claim)
    assert claim.question == 5 and claim.id.startswith("q05.")
    assert claim.seeds["quick"] >= 3 and claim.seeds["full"] >= 10
    for profile in PROFILES:
        configs = claim.trial_configs(profile)
        assert configs and all(isinstance(c, dict) for c in configs)
    assert claim.figure is not None


def test_sgd_claim_reuses_the_note_claims_trials():
    sgd, note = CLAIMS["q05.sgd-decay-equals-l2"], CLAIMS["q05.decay-is-l2-coefficient"]
    assert sgd.experiment is note.experiment
    sgd_cfgs, note_cfgs = sgd.trial_configs("quick"), note.trial_configs("quick")
    assert all(c in note_cfgs for c in sgd_cfgs)
    assert {c["optimizer"] for c in note_cfgs} == {"sgd", "adam", "adamw"}


def test_full_profile_is_bigger():
    assert q.configs_equivalence("full")[0].steps > q.configs_equivalence("quick")[0].steps
    assert len(q.configs_adam_adamw("full")[0].lrs) > len(q.configs_adam_adamw("quick")[0].lrs)
    assert q.configs_decay_sweep("full")[0].epochs > q.configs_decay_sweep("quick")[0].epochs


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


def _equivalence(optimizer, momentum=0.0):
    lr = 0.05 if optimizer == "sgd" else 1e-3
    cfg = q.EquivalenceConfig(optimizer=optimizer, momentum=momentum, lr=lr, **TINY[q.run_equivalence])
    return q.run_equivalence(cfg, 0)["metrics"]


@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_sgd_weight_decay_is_the_l2_gradient(momentum):
    m = _equivalence("sgd", momentum)
    assert m["max_diff_decay_vs_l2"] < q.EQUAL_TOL
    assert m["max_diff_decay2_vs_l2_sum"] < q.EQUAL_TOL
    assert m["max_diff_decay_vs_l2_sum"] > 1e-6  # the factor 2 matters


def test_adam_is_coupled_l2_and_adamw_is_decay_before_the_step():
    adam, adamw = _equivalence("adam"), _equivalence("adamw")
    assert adam["max_diff_decay_vs_l2"] < q.EQUAL_TOL
    assert adam["max_diff_decay_vs_decoupled"] > 1e-6
    assert adamw["max_diff_decay_vs_decoupled"] < q.EQUAL_TOL
    assert adamw["max_diff_decay_vs_l2"] > 1e-6


def test_trajectory_decoupled_variant_takes_the_gradient_then_shrinks_before_the_step():
    # With lr * lambda = 1 the shrink zeroes the weights after the gradient was taken at theta_0, so the
    # step lands at -lr * g(theta_0): the plain SGD step from theta_0 minus theta_0.
    from mustknow.nn import make_mlp

    cfg = q.EquivalenceConfig(optimizer="sgd", lr=0.5, weight_decay=2.0, width=2, steps=1)
    torch.manual_seed(0)
    state = make_mlp(64, 10, depth=1, width=2).double().state_dict()
    batch = [(torch.randn(3, 64, dtype=torch.float64), torch.tensor([0, 1, 2]))]
    path = q._trajectory(cfg, "decoupled", state, batch)
    plain = q._trajectory(dataclasses.replace(cfg, weight_decay=0.0), "decay", state, batch)
    assert torch.allclose(path[1], plain[1] - plain[0], rtol=0, atol=1e-15)
    assert not torch.allclose(path[1], plain[1])


def test_adam_adamw_grid_differs_and_sweep_shrinks_norm():
    grid = tiny_results(CLAIMS["q05.adam-l2-vs-adamw"])[0]["metrics"]
    assert grid["rel_dist_lr0.01_wd0.1"] > 0
    sweep = tiny_results(CLAIMS["q05.decay-shrinks-norm-and-gap"])[0]["metrics"]
    assert sweep["weight_norm_wd0.1"] < sweep["weight_norm_wd0"]


def test_experiments_are_deterministic_for_a_seed():
    cfg = q.SweepConfig(**TINY[q.run_decay_sweep])
    assert q.run_decay_sweep(cfg, 3) == q.run_decay_sweep(cfg, 3)


# --------------------------------------------------------------------------- figures


@pytest.mark.parametrize("claim", q.QUESTION.claims, ids=lambda c: c.id)
def test_figure_renders_from_tiny_results(claim, tmp_path):
    paths = claim.figure(tiny_results(claim), tmp_path)
    assert paths and all(p.exists() and p.stat().st_size > 0 for p in paths)


# --------------------------------------------------------------------------- verdict rules


def _equiv_results(same=1e-16, adamw_rel=(0.4, 0.42, 0.38), adamw_same=0.05):
    out = []
    for opt, m in q._OPTIMISERS:
        for s in range(3):
            is_adamw = opt == "adamw"
            out.append(result(s, dict(
                max_diff_decay_vs_l2=adamw_same if is_adamw else same,
                max_diff_decay2_vs_l2_sum=same, max_diff_decay_vs_l2_sum=0.1, max_diff_decay_vs_decoupled=0.0,
                rel_dist_decay_vs_l2=adamw_rel[s] if is_adamw else 1e-16, rel_dist_decay_vs_l2_sum=0.07,
                rel_dist_decay_vs_decoupled=0.1,
            ), optimizer=opt, momentum=m, weight_decay=0.01))
    return out


@pytest.mark.parametrize("same, label", [(1e-16, "SUPPORTED"), (1e-3, "REFUTED")])
def test_verdict_sgd_equivalence(same, label):
    # An identity checked against a tolerance, seed by seed: no undecided outcome.
    v = q.verdict_sgd_equivalence(_equiv_results(same=same))
    assert v.label == label
    assert v.evidence["equal_tol"] == q.EQUAL_TOL


@pytest.mark.parametrize(
    "kwargs, label",
    [
        (dict(), "NUANCED"),  # SGD and Adam equal, AdamW different
        (dict(adamw_same=1e-16), "SUPPORTED"),  # every optimiser equal
        (dict(same=1e-3, adamw_rel=(0.4, 0.42, 0.38)), "REFUTED"),  # no optimiser equal, all clearly different
        (dict(adamw_rel=(0.01, 0.2, 0.06)), "INCONCLUSIVE"),  # AdamW's distance straddles the threshold
    ],
)
def test_verdict_note(kwargs, label):
    results = _equiv_results(**kwargs)
    if kwargs.get("same") == 1e-3:
        for r in results:
            r["metrics"]["rel_dist_decay_vs_l2"] = 0.3
    assert q.verdict_note(results).label == label


def _grid_results(rel):
    cells = [q._cell(lr, d) for lr in (1e-3, 1e-2) for d in (1e-2, 1e-1)]
    out = []
    for s, r in enumerate(rel):
        metrics = {}
        for c in cells:
            metrics[f"rel_dist_{c}"] = r
            for opt, base in (("adam", 0.3), ("adamw", 0.25)):
                metrics[f"val_loss_{opt}_{c}"] = base + 0.01 * s
                metrics[f"val_acc_{opt}_{c}"] = 0.95
        out.append(result(s, metrics, lrs=[1e-3, 1e-2], decays=[1e-2, 1e-1]))
    return out


@pytest.mark.parametrize(
    "rel, label",
    [
        ((0.4, 0.45, 0.5, 0.42, 0.48), "SUPPORTED"),
        ((0.001, 0.002, 0.001, 0.003, 0.002), "REFUTED"),
        ((0.01, 0.2, 0.03, 0.15, 0.02), "INCONCLUSIVE"),
    ],
)
def test_verdict_adam_adamw(rel, label):
    v = q.verdict_adam_adamw(_grid_results(rel))
    assert v.label == label
    assert v.evidence["best_val_loss_adam_minus_adamw"]["mean"] == pytest.approx(0.05)


def _sweep_results(norm_top, gap_top):
    out = []
    for s, (n, g) in enumerate(zip(norm_top, gap_top)):
        metrics = {"weight_norm_wd0": 10.0, "weight_norm_wd0.03": n, "gap_wd0": 0.2, "gap_wd0.03": g,
                   "val_loss_wd0": 0.2, "val_loss_wd0.03": 0.25}
        out.append(result(s, metrics, decays=[0.0, 0.03], n_train=300))
    return out


@pytest.mark.parametrize(
    "norm_top, gap_top, label",
    [
        ((5.0, 5.2, 4.9), (0.1, 0.12, 0.11), "SUPPORTED"),
        ((9.9, 10.1, 10.0), (0.3, 0.31, 0.29), "REFUTED"),
        ((5.0, 5.2, 4.9), (0.3, 0.31, 0.29), "NUANCED"),  # norm shrinks, gap widens
        ((2.0, 9.9, 6.0), (0.1, 0.3, 0.2), "INCONCLUSIVE"),
    ],
)
def test_verdict_decay_sweep(norm_top, gap_top, label):
    assert q.verdict_decay_sweep(_sweep_results(norm_top, gap_top)).label == label


# --------------------------------------------------------------------------- full profile: Fashion-MNIST


def _full_datasets():
    return {cfg["dataset"] for c in q.QUESTION.claims for cfg in c.trial_configs("full") if "dataset" in cfg}


def test_full_configs_ask_for_fashion_mnist_when_its_files_are_there_else_digits(image_data_root, monkeypatch):
    from mustknow.data import vision

    monkeypatch.setattr(vision, "_warned", set())
    assert _full_datasets() == {"fashion_mnist"}
    grid, sweep = q.configs_adam_adamw("full")[0], q.configs_decay_sweep("full")[0]
    assert (grid.n_train, sweep.n_train) == (q.FULL_GRID_N_TRAIN, q.FULL_SWEEP_N_TRAIN)
    assert all("dataset" not in cfg for c in q.QUESTION.claims for cfg in c.trial_configs("quick"))
    monkeypatch.delenv("MUSTKNOW_DATA")
    with pytest.warns(vision.DatasetFallbackWarning):
        assert _full_datasets() == {"digits"}
    grid, sweep = q.configs_adam_adamw("full")[0], q.configs_decay_sweep("full")[0]
    assert (grid.n_train, grid.epochs, sweep.n_train) == (None, 60, q.SweepConfig.n_train)


def test_full_configs_run_end_to_end_on_small_fashion_mnist_and_verdicts_name_it(image_data_root):
    runs = {}
    for configs, run in ((q.configs_adam_adamw, q.run_adam_adamw), (q.configs_decay_sweep, q.run_decay_sweep)):
        cfg = dataclasses.replace(configs("full")[0], **(TINY[run] | {"n_train": 50}))
        assert cfg.dataset == "fashion_mnist"
        runs[run] = [result(s, **run(cfg, s)) | {"config": dataclasses.asdict(cfg)} for s in (0, 1)]
        for r in runs[run]:
            assert r["metrics"] and all(math.isfinite(v) for v in r["metrics"].values())
    sweep = runs[q.run_decay_sweep][0]["metrics"]
    assert sweep["weight_norm_wd0.1"] < sweep["weight_norm_wd0"]
    for verdict, run in ((q.verdict_adam_adamw, q.run_adam_adamw), (q.verdict_decay_sweep, q.run_decay_sweep)):
        v = verdict(runs[run])
        assert v.evidence["dataset"] == "Fashion-MNIST"
        assert "Data: Fashion-MNIST (50 training images)." in v.explanation_en
        assert "数据:Fashion-MNIST" in v.explanation_zh
