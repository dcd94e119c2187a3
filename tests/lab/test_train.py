"""Tests for mustknow.lab.train: the config, the loop, its stopping rules, determinism."""

import functools
import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from mustknow.data import Split, digit_segmentation, load_dataset, random_shift_rotate
from mustknow.nn import BatchNorm1d
from mustknow.lab.train import (History, TrainConfig, evaluate, fit, predict_logits, recalibrate_batch_norm,
                                seed_everything)


@pytest.fixture(scope="module")
def iris():
    return load_dataset("iris", seed=0)


@pytest.fixture(scope="module")
def diabetes():
    return load_dataset("diabetes", seed=0)


def _mlp(inp, out, seed=0, width=16):
    seed_everything(seed)
    return nn.Sequential(nn.Linear(inp, width), nn.ReLU(), nn.Linear(width, out))


def _weights(model):
    return [p.detach().clone() for p in model.parameters()]


# ---------------------------------------------------------------- the loop


def test_fit_reduces_training_loss_and_fills_history(iris):
    model = _mlp(4, 3)
    cfg = TrainConfig(optimizer="sgd", lr=0.2, epochs=30, batch_size=32)
    h = fit(model, iris.train, iris.val, cfg, seed=0)
    assert isinstance(h, History) and h.epochs == 30 and h.stop_reason == "epochs" and not h.diverged
    assert h.steps == 30 * math.ceil(len(iris.train) / 32)
    assert len(h.train_loss) == len(h.train_acc) == len(h.val_loss) == len(h.val_acc) == 30
    assert h.train_loss[-1] < 0.5 * h.train_loss[0]
    assert h.val_acc[-1] > 0.8 and h.val_epochs == list(range(1, 31))
    assert h.best_val_loss == min(h.val_loss) and h.val_epochs[h.val_loss.index(min(h.val_loss))] == h.best_epoch
    assert h.wall_s > 0 and model.training  # the model's mode is restored


def test_same_seed_same_history_different_seed_differs(iris):
    cfg = TrainConfig(epochs=5, batch_size=16, input_noise_std=0.1)
    runs = []
    for seed in (0, 0, 1):
        model = _mlp(4, 3)
        runs.append((fit(model, iris.train, iris.val, cfg, seed=seed).to_series(), _weights(model)))
    assert runs[0][0] == runs[1][0]
    assert all(torch.equal(a, b) for a, b in zip(runs[0][1], runs[1][1]))
    assert runs[0][0]["train_loss"] != runs[2][0]["train_loss"]


def test_dropout_is_reproducible_through_fit(iris):
    def run():
        seed_everything(0)
        model = nn.Sequential(nn.Linear(4, 32), nn.ReLU(), nn.Dropout(0.5), nn.Linear(32, 3))
        torch.rand(7)  # global RNG use between init and fit does not matter
        return fit(model, iris.train, None, TrainConfig(epochs=3), seed=4).train_loss

    assert run() == run()


def test_default_losses(iris, diabetes):
    model = _mlp(4, 3)
    h = fit(model, iris.train, iris.val, TrainConfig(epochs=2), seed=0)
    assert h.val_loss[-1] == pytest.approx(evaluate(model, iris.val, F.cross_entropy)["loss"], rel=1e-5)
    reg = nn.Linear(10, 1)
    h = fit(reg, diabetes.train, diabetes.val, TrainConfig(lr=0.05, epochs=40), seed=0)
    assert h.train_acc == [] and h.val_acc == []  # no accuracy for regression
    assert h.train_loss[-1] < 0.7  # standardised target: 1.0 is the mean predictor
    res = evaluate(reg, diabetes.test)
    assert math.isnan(res["acc"])
    pred = predict_logits(reg, diabetes.test.x).squeeze(1)
    assert res["loss"] == pytest.approx(float(((pred - diabetes.test.y) ** 2).mean()), rel=1e-5)


def test_full_batch_max_steps_and_eval_every(iris):
    h = fit(_mlp(4, 3), iris.train, iris.val, TrainConfig(epochs=7, batch_size=None), seed=0, eval_every=3)
    assert h.steps == 7 and h.val_epochs == [3, 6, 7]
    h = fit(_mlp(4, 3), iris.train, iris.val, TrainConfig(epochs=50, batch_size=10, max_steps=20), seed=0)
    assert h.steps == 20 and h.stop_reason == "max_steps" and h.epochs == 3 and h.val_epochs[-1] == 3


def test_train_metrics_in_eval_mode(iris):
    model = _mlp(4, 3)
    h = fit(model, iris.train, None, TrainConfig(epochs=2, eval_train=True), seed=0)
    assert h.train_loss[-1] == pytest.approx(evaluate(model, iris.train)["loss"], rel=1e-6)
    assert h.val_loss == [] and h.best_epoch is None


def test_callbacks(iris):
    steps = []
    h = fit(
        _mlp(4, 3), iris.train, iris.val, TrainConfig(epochs=10, batch_size=45), seed=0,
        on_step=lambda step, model, loss: steps.append((step, float(loss))),
        on_epoch=lambda epoch, model, history: epoch == 4,
    )  # fmt: skip
    assert h.stop_reason == "callback" and h.epochs == 4
    assert [s for s, _ in steps] == list(range(1, 9)) and steps[0][1] == pytest.approx(h.train_loss[0], abs=1)


def test_augment_gets_fits_generator_and_is_deterministic(iris):
    seen = []

    def jitter(x, generator=None):
        seen.append(generator)
        return x + 0.05 * torch.randn(x.shape, generator=generator)

    cfg = TrainConfig(epochs=2, augment=jitter)
    a = fit(_mlp(4, 3), iris.train, None, cfg, seed=0).train_loss
    b = fit(_mlp(4, 3), iris.train, None, cfg, seed=0).train_loss
    assert a == b and all(isinstance(g, torch.Generator) for g in seen)
    calls = []
    fit(_mlp(4, 3), iris.train, None, TrainConfig(epochs=1, augment=lambda x: calls.append(x) or x), seed=0)
    assert len(calls) == 2  # ceil(90 / 64) batches


def test_augment_with_random_shift_rotate():
    ds = load_dataset("digits", as_images=True, n_train=100)
    cfg = TrainConfig(epochs=2, augment=functools.partial(random_shift_rotate, max_shift=1, max_degrees=10.0))

    def run(config):
        seed_everything(0)
        model = nn.Sequential(nn.Flatten(), nn.Linear(64, 10))
        return fit(model, ds.train, ds.val, config, seed=0).train_loss

    augmented = run(cfg)
    assert augmented == run(cfg) and augmented != run(cfg.replace(augment=None))


def test_grad_clip_bounds_the_gradient_norm(diabetes):
    norms = []

    def record(step, model, loss):
        norms.append(float(torch.cat([p.grad.flatten() for p in model.parameters()]).norm()))

    cfg = TrainConfig(optimizer="sgd", lr=0.01, epochs=2, grad_clip=0.5)
    fit(_mlp(10, 1), diabetes.train, None, cfg, seed=0, on_step=record)
    assert max(norms) <= 0.5 + 1e-5


def test_segmentation_split_trains_per_pixel():
    seg = digit_segmentation(16, size=16, seed=0)
    seed_everything(0)
    model = nn.Conv2d(1, 11, 3, padding=1)
    h = fit(model, seg.to_split(), seg.to_split(), TrainConfig(lr=0.05, epochs=5, batch_size=8), seed=0)
    assert h.train_loss[-1] < h.train_loss[0]
    assert 0.7 < h.val_acc[-1] <= 1.0  # pixel accuracy: background alone is ~0.9


def test_tuple_output_for_multitask_models(iris):
    class TwoHeads(nn.Module):
        def __init__(self):
            super().__init__()
            self.body, self.cls, self.aux = nn.Linear(4, 8), nn.Linear(8, 3), nn.Linear(8, 1)

        def forward(self, x):
            h = torch.relu(self.body(x))
            return self.cls(h), self.aux(h).squeeze(1)

    def loss(out, y):  # auxiliary task: regress the class index
        return F.cross_entropy(out[0], y) + 0.1 * F.mse_loss(out[1], y.double().to(out[1].dtype))

    seed_everything(0)
    model = TwoHeads()
    h = fit(model, iris.train, iris.val, TrainConfig(epochs=3), seed=0, loss_fn=loss)
    assert len(h.val_acc) == 3 and predict_logits(model, iris.val.x).shape == (len(iris.val), 3)


def test_float64_model_gets_float64_inputs(iris):
    model = _mlp(4, 3).double()
    h = fit(model, iris.train, iris.val, TrainConfig(epochs=2), seed=0)
    assert next(model.parameters()).dtype == torch.float64 and len(h.val_loss) == 2


# ---------------------------------------------------------------- stopping rules


def test_divergence_is_flagged_not_raised(diabetes):
    model = _mlp(10, 1)
    h = fit(model, diabetes.train, diabetes.val, TrainConfig(optimizer="sgd", lr=50.0, epochs=20), seed=0)
    assert h.diverged and h.stop_reason == "diverged" and h.epochs < 20
    assert all(math.isfinite(v) for v in h.train_loss)  # the diverging epoch is not recorded


def test_divergence_factor_bounds_explosions():
    # Targets scaled so the loss grows quickly but stays finite for a while.
    x = torch.linspace(-1, 1, 32).unsqueeze(1)
    data = Split(x, 3 * x.squeeze(1))
    seed_everything(0)
    h = fit(nn.Linear(1, 1), data, None, TrainConfig(optimizer="sgd", lr=2.5, epochs=200, batch_size=None,
                                                    divergence_factor=10.0), seed=0)  # fmt: skip
    assert h.diverged and h.steps < 50


def test_early_stopping_stops_and_restores(iris):
    # Validation labels disagree with training labels: val loss rises once training starts.
    val = Split(iris.train.x, (iris.train.y + 1) % 3)
    snapshots = {}
    model = _mlp(4, 3)
    cfg = TrainConfig(optimizer="sgd", lr=0.5, epochs=50, batch_size=None, early_stopping_patience=3)
    h = fit(model, iris.train, val, cfg, seed=0,
            on_epoch=lambda e, m, hist: snapshots.__setitem__(e, _weights(m)))  # fmt: skip
    assert h.stop_reason == "early_stopping" and h.epochs == h.best_epoch + 3 < 50
    assert all(torch.equal(a, b) for a, b in zip(_weights(model), snapshots[h.best_epoch]))
    model2 = _mlp(4, 3)
    fit(model2, iris.train, val, cfg.replace(restore_best=False), seed=0)
    assert all(torch.equal(a, b) for a, b in zip(_weights(model2), snapshots[h.epochs]))


# ---------------------------------------------------------------- penalties


def test_proximal_l1_gives_exact_zeros_and_l2_does_not(diabetes):
    cfg = TrainConfig(optimizer="sgd", lr=0.05, epochs=100, batch_size=None)
    lasso = nn.Linear(10, 1)
    fit(lasso, diabetes.train, None, cfg.replace(proximal_l1=0.2), seed=0)
    ridge = nn.Linear(10, 1)
    fit(ridge, diabetes.train, None, cfg.replace(l2=0.2), seed=0)
    assert int((lasso.weight == 0).sum()) >= 3
    assert int((ridge.weight == 0).sum()) == 0


def test_proximal_sgd_matches_sklearn_lasso(diabetes):
    from sklearn.linear_model import Lasso

    alpha = 0.05
    ref = Lasso(alpha=alpha, tol=1e-10, max_iter=100_000).fit(diabetes.train.x.double(), diabetes.train.y.double())
    model = nn.Linear(10, 1).double()
    half_mse = lambda out, y: 0.5 * F.mse_loss(out.squeeze(1), y)  # noqa: E731  sklearn's 1/(2n) scaling
    # lr below 1/L (L ~ 3.7, the largest eigenvalue of the centred Gram matrix / n): ISTA converges.
    cfg = TrainConfig(optimizer="sgd", lr=0.25, epochs=300, batch_size=None, proximal_l1=alpha)
    fit(model, diabetes.train, None, cfg, seed=0, loss_fn=half_mse)
    w = model.weight.detach().squeeze(0).numpy()
    assert abs(w - ref.coef_).max() < 1e-6 and abs(float(model.bias.detach()) - ref.intercept_) < 1e-6
    assert ((w == 0) == (ref.coef_ == 0)).all()  # the same exact zeros


def test_explicit_l2_equals_sgd_weight_decay(iris):
    base = TrainConfig(optimizer="sgd", lr=0.1, momentum=0.9, epochs=5, batch_size=30)
    a, b = _mlp(4, 3).double(), _mlp(4, 3).double()
    fit(a, iris.train, None, base.replace(weight_decay=0.01), seed=0)
    fit(b, iris.train, None, base.replace(l2=0.01, penalty_on="all"), seed=0)
    for p, q in zip(a.parameters(), b.parameters()):
        torch.testing.assert_close(p, q, rtol=0, atol=1e-12)
    c = _mlp(4, 3).double()
    fit(c, iris.train, None, base.replace(l2=0.01), seed=0)  # weights only: biases differ
    assert not torch.allclose(a[0].bias, c[0].bias, rtol=0, atol=1e-12)


def test_l1_penalty_shrinks_weights(iris):
    cfg = TrainConfig(epochs=20, lr=0.01)
    plain, shrunk = _mlp(4, 3), _mlp(4, 3)
    fit(plain, iris.train, None, cfg, seed=0)
    fit(shrunk, iris.train, None, cfg.replace(l1=0.05), seed=0)
    assert float(shrunk[0].weight.detach().abs().sum()) < float(plain[0].weight.detach().abs().sum())


# ---------------------------------------------------------------- config and errors


def test_config_replace_checks_and_converts():
    cfg = TrainConfig().replace(lr=1, batch_size=None, betas=(0.8, 0.9))
    assert cfg.lr == 1.0 and isinstance(cfg.lr, float) and cfg.batch_size is None
    with pytest.raises(AttributeError):
        cfg.lr = 0.5  # frozen


@pytest.mark.parametrize(
    "overrides, error, match",
    [
        ({"learning_rate": 0.1}, TypeError, "unknown TrainConfig field.*learning_rate; valid fields: optimizer"),
        ({"lr": "0.1"}, TypeError, "TrainConfig.lr must be float; got str"),
        ({"epochs": 2.0}, TypeError, "TrainConfig.epochs must be int; got float"),
        ({"epochs": True}, TypeError, "TrainConfig.epochs must be int; got bool"),
        ({"batch_size": "full"}, TypeError, "batch_size must be int or None"),
        ({"betas": (0.9,)}, TypeError, "betas must be a tuple"),
        ({"augment": 3}, TypeError, "augment must be a callable or None"),
        ({"optimizer": "rmsprop"}, ValueError, "optimizer='rmsprop' must be one of 'sgd', 'adam', 'adamw'"),
        ({"penalty_on": "biases"}, ValueError, "penalty_on='biases' must be one of"),
        ({"lr": 0.0}, ValueError, "TrainConfig.lr must be > 0"),
        ({"momentum": 1.0}, ValueError, "TrainConfig.momentum must be < 1"),
        ({"l2": -1.0}, ValueError, "TrainConfig.l2 must be >= 0"),
        ({"batch_size": 0}, ValueError, "TrainConfig.batch_size must be >= 1"),
        ({"divergence_factor": 1.0}, ValueError, "divergence_factor must be > 1"),
        ({"grad_clip": 0.0}, ValueError, "grad_clip must be > 0"),
    ],
)
def test_config_errors(overrides, error, match):
    with pytest.raises(error, match=match):
        TrainConfig().replace(**overrides)
    if "learning_rate" not in overrides:
        with pytest.raises(error, match=match):
            TrainConfig(**overrides)


def test_ignored_flags_warn(iris):
    with pytest.warns(UserWarning, match="momentum=0.9 is ignored by optimizer='adam'"):
        TrainConfig(momentum=0.9)
    with pytest.warns(UserWarning, match="betas=.* is ignored by optimizer='sgd'"):
        TrainConfig(optimizer="sgd", betas=(0.5, 0.9))
    with pytest.warns(UserWarning, match="early_stopping_patience is ignored because val is None"):
        fit(_mlp(4, 3), iris.train, None, TrainConfig(epochs=1, early_stopping_patience=2), seed=0)


def test_fit_and_evaluate_errors(iris):
    model, cfg = _mlp(4, 3), TrainConfig(epochs=1)
    with pytest.raises(TypeError, match="model must be a torch.nn.Module"):
        fit("net", iris.train, None, cfg, seed=0)
    with pytest.raises(TypeError, match="train must be a mustknow.data.Split"):
        fit(model, (iris.train.x, iris.train.y), None, cfg, seed=0)
    with pytest.raises(TypeError, match="val must be a mustknow.data.Split or None"):
        fit(model, iris.train, iris, cfg, seed=0)
    with pytest.raises(TypeError, match="config must be a TrainConfig"):
        fit(model, iris.train, None, {"epochs": 1}, seed=0)
    with pytest.raises(ValueError, match="seed must be >= 0"):
        fit(model, iris.train, None, cfg, seed=-1)
    with pytest.raises(ValueError, match="eval_every must be >= 1"):
        fit(model, iris.train, None, cfg, seed=0, eval_every=0)
    with pytest.raises(ValueError, match="train split is empty"):
        fit(model, Split(torch.zeros(0, 4), torch.zeros(0, dtype=torch.long)), None, cfg, seed=0)
    with pytest.raises(TypeError, match="split must be a mustknow.data.Split"):
        evaluate(model, iris)


def test_evaluate_batched_equals_full_and_restores_mode(iris):
    model = _mlp(4, 3)
    model.train()
    full = evaluate(model, iris.test, F.cross_entropy, batch_size=1000)
    batched = evaluate(model, iris.test, F.cross_entropy, batch_size=7)
    assert full["loss"] == pytest.approx(batched["loss"], rel=1e-6) and full["acc"] == batched["acc"]
    assert model.training
    logits = predict_logits(model, iris.test.x, batch_size=7)
    assert full["acc"] == pytest.approx(float((logits.argmax(1) == iris.test.y).double().mean()))


def test_binary_single_logit_accuracy():
    x = torch.tensor([[-2.0], [-1.0], [1.0], [2.0]])
    y = torch.tensor([0, 1, 1, 1])  # sign predictions 0, 0, 1, 1: three of four right
    model = nn.Linear(1, 1)
    with torch.no_grad():
        model.weight.fill_(1.0)
        model.bias.zero_()
    bce = lambda out, t: F.binary_cross_entropy_with_logits(out.squeeze(1), t.float())  # noqa: E731
    assert evaluate(model, Split(x, y), bce)["acc"] == 0.75
    assert evaluate(model, Split(x, 2 * y - 1), lambda o, t: o.mean())["acc"] == 0.75  # {-1, +1} labels


def test_history_to_series_is_json_ready():
    h = History(train_loss=[1.0, float("nan")], val_loss=[float("inf")], val_epochs=[2])
    s = h.to_series()
    assert s["train_loss"] == [1.0, None] and s["val_loss"] == [None] and s["val_epochs"] == [2]
    assert set(s) == {"train_loss", "train_acc", "val_loss", "val_acc", "val_epochs"}


def test_a_one_sample_last_batch_joins_the_previous_one():
    # 65 samples in batches of 64 would leave a batch of one, which BatchNorm rejects in training.
    from mustknow.nn import make_mlp

    g = torch.Generator().manual_seed(0)
    split = Split(torch.randn(65, 4, generator=g), torch.randint(0, 3, (65,), generator=g))
    seed_everything(0)
    model = make_mlp(4, 3, depth=1, width=8, norm="batch")
    sizes = []
    model.register_forward_pre_hook(lambda m, args: sizes.append(args[0].shape[0]) if m.training else None)
    fit(model, split, None, TrainConfig(epochs=1, batch_size=64), seed=0)
    assert sizes == [65]


@pytest.mark.parametrize("model, x, error, match", [
    ("not a model", torch.randn(4, 3), TypeError, "model must be a torch.nn.Module; got str"),
    (nn.Linear(3, 2), torch.ones(4, 3, dtype=torch.long), TypeError, "x must be a floating-point tensor"),
    (nn.Linear(3, 2), torch.randn(1, 3), ValueError, r"at least two samples .*got shape \(1, 3\)"),
])
def test_recalibrate_batch_norm_rejects_bad_input(model, x, error, match):
    with pytest.raises(error, match=match):
        recalibrate_batch_norm(model, x)


def test_recalibrate_batch_norm_gives_the_batch_statistics_and_restores_state():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), BatchNorm1d(4))
    x = torch.randn(50, 3)
    model.eval()
    out = recalibrate_batch_norm(model, x)
    assert out is model and not model.training
    bn = model[1]
    assert bn.momentum == 0.1
    h = model[0](x).detach()
    reference = nn.BatchNorm1d(4, momentum=None)  # PyTorch's cumulative average after one batch
    reference(h)
    torch.testing.assert_close(bn.running_mean, reference.running_mean)
    torch.testing.assert_close(bn.running_var, reference.running_var)


def test_recalibrate_batch_norm_leaves_a_model_without_bn_alone():
    model = nn.Linear(3, 2)
    state = {k: v.clone() for k, v in model.state_dict().items()}
    recalibrate_batch_norm(model, torch.randn(4, 3))
    assert all(torch.equal(state[k], v) for k, v in model.state_dict().items())


def test_recalibrate_batch_norm_keeps_no_graph():
    model = nn.Sequential(nn.Linear(3, 4), BatchNorm1d(4))
    seen = []
    model.register_forward_hook(lambda module, inputs, output: seen.append(output.requires_grad))
    recalibrate_batch_norm(model, torch.randn(8, 3, requires_grad=True))
    assert seen == [False] and all(p.grad is None for p in model.parameters())


@pytest.mark.parametrize("arch, position", [("mlp", "before"), ("mlp", "after"), ("cnn", "before"), ("cnn", "after")])
def test_recalibrate_in_chunks_gives_the_one_pass_statistics(arch, position):
    from mustknow.nn import make_cnn, make_mlp

    torch.manual_seed(0)
    if arch == "mlp":
        build, x = (lambda: make_mlp(5, 3, depth=3, width=6, norm="batch", norm_position=position)), torch.randn(37, 5)
    else:
        build, x = (lambda: make_cnn(2, 3, depth=2, channels=4, norm="batch", norm_position=position)), \
            torch.randn(23, 2, 5, 5)
    seed_everything(0)
    one, chunked = build(), build()
    chunked.load_state_dict(one.state_dict())
    chunked.eval()
    recalibrate_batch_norm(one, x)
    recalibrate_batch_norm(chunked, x, batch_size=4)
    assert not chunked.training
    for a, b in zip(one.state_dict().items(), chunked.state_dict().items()):
        assert a[0] == b[0]
        torch.testing.assert_close(b[1], a[1], rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(chunked(x), one.eval()(x), rtol=1e-4, atol=1e-5)


def test_recalibrate_rejects_a_bad_batch_size():
    with pytest.raises(ValueError, match="batch_size"):
        recalibrate_batch_norm(nn.Sequential(nn.Linear(3, 4), BatchNorm1d(4)), torch.randn(8, 3), batch_size=0)
