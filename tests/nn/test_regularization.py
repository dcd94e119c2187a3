"""Tests for mustknow.nn.regularization: dropout and noise modules following
train/eval, EarlyStopping on hand-written loss sequences, MultiTaskLoss (fixed
and uncertainty weighting) and decay_groups."""

import math

import pytest
import torch
from torch import nn

from mustknow.nn import (
    Dropout,
    Dropout2d,
    EarlyStopping,
    GaussianNoise,
    MultiTaskLoss,
    decay_groups,
)

F64 = torch.float64


# --------------------------------------------------------------------------
# modules follow train / eval
# --------------------------------------------------------------------------

@pytest.mark.parametrize("module", [Dropout(0.5), Dropout2d(0.5), GaussianNoise(0.3)])
def test_modules_follow_train_and_eval(module):
    x = torch.randn(8, 4, 5, 5)
    model = nn.Sequential(module)
    model.eval()
    assert torch.equal(model(x), x)
    model.train()
    assert not torch.equal(model(x), x)


def test_dropout_modules_apply_their_p():
    torch.manual_seed(0)
    y = Dropout(0.25)(torch.ones(100_000, dtype=F64))
    assert set(y.unique().tolist()) == {0.0, 1 / 0.75}
    y = Dropout2d(1.0)(torch.ones(2, 3, 4, 4))
    assert torch.equal(y, torch.zeros_like(y))
    assert "p=0.25" in repr(Dropout(0.25)) and "std=0.3" in repr(GaussianNoise(0.3))


def test_module_constructor_errors():
    with pytest.raises(ValueError, match="p must be <= 1"):
        Dropout(1.1)
    with pytest.raises(ValueError, match="p must be >= 0"):
        Dropout2d(-0.5)
    with pytest.raises(ValueError, match="std must be >= 0"):
        GaussianNoise(-1.0)
    with pytest.raises(ValueError, match="3-D or 4-D"):
        Dropout2d(0.5)(torch.ones(2, 3))


def test_modules_have_no_state():
    for m in (Dropout(0.1), Dropout2d(0.1), GaussianNoise(0.1)):
        assert m.state_dict() == {} and list(m.parameters()) == []


# --------------------------------------------------------------------------
# EarlyStopping
# --------------------------------------------------------------------------

STOP_TABLE = [
    # values, patience, min_delta, mode, stop index (None: never), best, best_epoch
    ([1.0, 0.8, 0.9, 0.85, 0.7], 2, 0.0, "min", 3, 0.8, 1),
    ([1.0, 0.8, 0.9, 0.85, 0.7], 3, 0.0, "min", None, 0.7, 4),
    ([1.0, 0.8, 0.79, 0.78, 0.77], 2, 0.05, "min", 3, 0.8, 1),  # gains below min_delta do not count
    ([1.0, 0.8, 0.79, 0.78, 0.77], 2, 0.0, "min", None, 0.77, 4),
    ([0.5, 0.6, 0.6, 0.55, 0.7], 2, 0.0, "max", 3, 0.6, 1),  # a tie is not an improvement
    ([3.0, 2.0, 2.5], 0, 0.0, "min", 2, 2.0, 1),  # patience 0 stops at the first bad step
    ([3.0, 2.0, 2.5], 1, 0.0, "min", 2, 2.0, 1),
    ([float("nan"), 2.0, float("nan"), 1.0], 2, 0.0, "min", None, 1.0, 3),  # NaN never improves
]


@pytest.mark.parametrize("values, patience, min_delta, mode, stop_at, best, best_epoch", STOP_TABLE)
def test_early_stopping_sequences(values, patience, min_delta, mode, stop_at, best, best_epoch):
    stopper = EarlyStopping(patience, min_delta=min_delta, mode=mode, restore_best=False)
    decisions = [stopper.step(v) for v in values]
    expected = [False] * len(values) if stop_at is None else [i >= stop_at for i in range(len(values))]
    assert decisions == expected
    if stop_at is not None:
        best_so_far = values[: stop_at + 1]  # what the loop saw before stopping
        stopper = EarlyStopping(patience, min_delta=min_delta, mode=mode, restore_best=False)
        for v in best_so_far:
            stopper.step(v)
    assert stopper.best == best and stopper.best_epoch == best_epoch


def test_early_stopping_counts_and_tensor_values():
    stopper = EarlyStopping(patience=3)
    with pytest.warns(UserWarning, match="without a model"):
        stopper.step(torch.tensor(1.0))
    assert stopper.epoch == 1 and stopper.best == 1.0 and stopper.num_bad_epochs == 0
    with pytest.warns(UserWarning, match="without a model"):
        stopper.step(torch.tensor([2.0]))
    assert stopper.num_bad_epochs == 1 and not stopper.stopped


def test_early_stopping_restores_best_weights():
    torch.manual_seed(0)
    model = nn.Linear(3, 2)
    stopper = EarlyStopping(patience=2)
    losses = [1.0, 0.5, 0.7, 0.9]
    snapshots = []
    for epoch, loss in enumerate(losses):
        with torch.no_grad():
            model.weight.fill_(float(epoch))  # stands in for a training epoch
        snapshots.append(model.weight.detach().clone())
        if stopper.step(loss, model):
            break
    assert epoch == 3 and stopper.best_epoch == 1
    assert torch.equal(model.weight, snapshots[3])
    assert stopper.restore(model) is model
    assert torch.equal(model.weight, snapshots[1])  # the deep copy was not changed by later epochs


def test_early_stopping_errors():
    with pytest.raises(ValueError, match="patience must be >= 0"):
        EarlyStopping(-1)
    with pytest.raises(TypeError, match="patience must be an int"):
        EarlyStopping(2.5)
    with pytest.raises(ValueError, match="mode='maximum' must be one of 'min', 'max'"):
        EarlyStopping(2, mode="maximum")
    with pytest.raises(ValueError, match="min_delta must be >= 0"):
        EarlyStopping(2, min_delta=-0.1)
    stopper = EarlyStopping(2, restore_best=False)
    stopper.step(1.0, nn.Linear(2, 2))
    with pytest.raises(RuntimeError, match="no best weights stored"):
        stopper.restore(nn.Linear(2, 2))
    with pytest.raises(TypeError, match="one-element tensor"):
        stopper.step(torch.ones(3))
    with pytest.raises(TypeError, match="model must be a torch.nn.Module"):
        stopper.step(1.0, model="net")


# --------------------------------------------------------------------------
# MultiTaskLoss
# --------------------------------------------------------------------------

MTL_TABLE = [
    # weights, losses, expected
    (None, [2.0, 4.0], 6.0),
    ([1.0, 0.5], [2.0, 4.0], 4.0),
    ([0.0, 2.0, 1.0], [5.0, 1.5, 0.25], 3.25),
]


@pytest.mark.parametrize("weights, losses, expected", MTL_TABLE)
def test_multitask_fixed_weights(weights, losses, expected):
    mtl = MultiTaskLoss(len(losses), weights=weights)
    assert float(mtl([torch.tensor(v) for v in losses])) == expected
    assert float(mtl(torch.tensor(losses))) == expected
    assert list(mtl.parameters()) == []


def test_multitask_uncertainty_value_and_gradient():
    mtl = MultiTaskLoss(2, weighting="uncertainty").double()
    with torch.no_grad():
        mtl.log_vars.copy_(torch.tensor([0.5, -1.0], dtype=F64))
    l1 = torch.tensor(2.0, dtype=F64, requires_grad=True)
    l2 = torch.tensor(0.3, dtype=F64, requires_grad=True)
    out = mtl([l1, l2])
    s = mtl.log_vars.detach()
    expected = math.exp(-0.5) * 2.0 + 0.5 + math.exp(1.0) * 0.3 - 1.0
    assert abs(float(out.detach()) - expected) < 1e-12
    g_s, g_l1, g_l2 = torch.autograd.grad(out, [mtl.log_vars, l1, l2])
    torch.testing.assert_close(g_s, 1 - torch.exp(-s) * torch.tensor([2.0, 0.3], dtype=F64))
    torch.testing.assert_close(torch.stack([g_l1, g_l2]), torch.exp(-s))
    torch.testing.assert_close(mtl.task_weights, torch.exp(-s))


def test_multitask_uncertainty_learns_log_of_each_loss():
    # For fixed task losses the optimum of exp(-s) L + s is s = log L: each
    # weight becomes 1 / L_i.
    losses = torch.tensor([4.0, 0.25, 1.0], dtype=F64)
    mtl = MultiTaskLoss(3, weighting="uncertainty").double()
    opt = torch.optim.SGD(mtl.parameters(), lr=0.2)
    for _ in range(300):
        opt.zero_grad()
        mtl(losses).backward()
        opt.step()
    torch.testing.assert_close(mtl.log_vars.detach(), losses.log(), rtol=0, atol=1e-6)
    torch.testing.assert_close(mtl.task_weights * losses, torch.ones(3, dtype=F64), rtol=0, atol=1e-5)


def test_multitask_state_dict_round_trip():
    a = MultiTaskLoss(2, weights=[0.3, 0.7])
    b = MultiTaskLoss(2)
    b.load_state_dict(a.state_dict())
    torch.testing.assert_close(b.task_weights, torch.tensor([0.3, 0.7]))


def test_multitask_errors():
    with pytest.raises(ValueError, match="weighting='learned' must be one of 'fixed', 'uncertainty'"):
        MultiTaskLoss(2, weighting="learned")
    with pytest.raises(ValueError, match="num_tasks must be >= 1"):
        MultiTaskLoss(0)
    with pytest.raises(ValueError, match="weights must have length num_tasks=2"):
        MultiTaskLoss(2, weights=[1.0, 1.0, 1.0])
    with pytest.raises(ValueError, match="weights must be non-negative"):
        MultiTaskLoss(2, weights=[1.0, -1.0])
    with pytest.warns(UserWarning, match="weights are ignored"):
        MultiTaskLoss(2, weighting="uncertainty", weights=[1.0, 2.0])
    mtl = MultiTaskLoss(2)
    with pytest.raises(ValueError, match="expected 2 task losses"):
        mtl([torch.tensor(1.0)])
    with pytest.raises(ValueError, match=r"losses\[1\] must be a scalar loss"):
        mtl([torch.tensor(1.0), torch.ones(3)])
    with pytest.raises(ValueError, match="losses must be a 1-D tensor"):
        mtl(torch.ones(2, 1))


# --------------------------------------------------------------------------
# decay_groups
# --------------------------------------------------------------------------

class _Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3)
        self.bn = nn.BatchNorm2d(4)
        self.gn = nn.GroupNorm(2, 4)
        self.fc = nn.Linear(4, 3)
        self.ln = nn.LayerNorm(3)
        self.scale = nn.Parameter(torch.ones(3))  # 1-D, not in a norm
        self.tied = self.fc  # shared module: its parameters appear once


class CustomNorm(nn.Module):
    """A user norm with a 2-D parameter: excluded by its class name."""

    def __init__(self):
        super().__init__()
        self.gain = nn.Parameter(torch.ones(1, 3))


def test_decay_groups_excludes_biases_and_norm_parameters():
    net = _Net()
    net.custom = CustomNorm()
    decay, no_decay = decay_groups(net, 5e-4)
    assert decay["weight_decay"] == 5e-4 and no_decay["weight_decay"] == 0.0
    ids = lambda ps: {id(p) for p in ps}  # noqa: E731
    assert ids(decay["params"]) == ids([net.conv.weight, net.fc.weight])
    assert ids(no_decay["params"]) == ids([
        net.conv.bias, net.bn.weight, net.bn.bias, net.gn.weight, net.gn.bias,
        net.fc.bias, net.ln.weight, net.ln.bias, net.scale, net.custom.gain,
    ])
    assert len(decay["params"]) + len(no_decay["params"]) == len(list(net.parameters()))


def test_decay_groups_work_with_an_optimizer():
    net = _Net()
    opt = torch.optim.SGD(decay_groups(net, 0.1), lr=1.0)
    for p in net.parameters():
        p.grad = torch.zeros_like(p)
    bias_before, weight_before = net.fc.bias.detach().clone(), net.fc.weight.detach().clone()
    opt.step()  # zero gradient: only the decay moves the parameters
    assert torch.equal(net.fc.bias, bias_before)
    torch.testing.assert_close(net.fc.weight, weight_before * 0.9)


def test_decay_groups_errors():
    with pytest.raises(TypeError, match="model must be a torch.nn.Module"):
        decay_groups([torch.ones(2)], 0.1)
    with pytest.raises(ValueError, match="weight_decay must be >= 0"):
        decay_groups(nn.Linear(2, 2), -0.1)
