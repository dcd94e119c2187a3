"""Intervals over seeds and verdict decisions."""

import math

import numpy as np
import pytest
from scipy import stats as st

from mustknow.lab.stats import Interval, by_config, combine, decide, mean_ci, metric_values, paired_diff, select


@pytest.mark.parametrize("values", [[1.0, 2.0], [0.3, 0.1, 0.7], [5.0, -1.0, 2.5, 3.25, 0.0], list(range(10))])
@pytest.mark.parametrize("level", [0.9, 0.95, 0.99])
def test_mean_ci_matches_scipy(values, level):
    ci = mean_ci(values, level)
    low, high = st.t.interval(level, len(values) - 1, loc=np.mean(values), scale=st.sem(values))
    assert ci.mean == pytest.approx(np.mean(values))
    assert (ci.low, ci.high) == (pytest.approx(low), pytest.approx(high))
    assert ci.n == len(values) and ci.level == level


def test_mean_ci_hand_computed():
    # mean 2, sd 1, n 3: half width = t_{0.975, 2} / sqrt(3) = 4.302653 / 1.732051
    ci = mean_ci([1.0, 2.0, 3.0])
    assert ci.mean == 2.0
    assert ci.high - 2.0 == pytest.approx(4.302652729911275 / math.sqrt(3))


def test_identical_values_give_zero_width():
    assert mean_ci([0.5, 0.5, 0.5]) == Interval(0.5, 0.5, 0.5, 3)


def test_single_value_gives_infinite_interval_and_no_decision():
    ci = mean_ci([7.0])
    assert (ci.mean, ci.low, ci.high, ci.n) == (7.0, -math.inf, math.inf, 1)
    assert decide(ci, 0.0, ">") == "INCONCLUSIVE"


@pytest.mark.parametrize("values, level, match", [
    ([], 0.95, "at least one value"),
    ([1.0, float("nan")], 0.95, "NaN"),
    ([1.0, 2.0], 1.0, r"level must be in \(0, 1\)"),
    ([1.0, 2.0], 0.0, r"level must be in \(0, 1\)"),
])
def test_mean_ci_errors(values, level, match):
    with pytest.raises(ValueError, match=match):
        mean_ci(values, level)


def test_paired_diff():
    a, b = [1.0, 2.0, 4.0], [0.5, 1.0, 3.0]
    assert paired_diff(a, b) == mean_ci([0.5, 1.0, 1.0])
    with pytest.raises(ValueError, match="equal lengths; got 3 and 2"):
        paired_diff(a, b[:2])


@pytest.mark.parametrize("low, high, threshold, direction, expected", [
    (0.6, 0.9, 0.5, ">", "SUPPORTED"),
    (0.1, 0.4, 0.5, ">", "REFUTED"),
    (0.1, 0.5, 0.5, ">", "REFUTED"),      # touching from below is not above
    (0.4, 0.6, 0.5, ">", "INCONCLUSIVE"),
    (0.5, 0.6, 0.5, ">", "INCONCLUSIVE"),  # the low end on the threshold does not decide
    (0.1, 0.4, 0.5, "<", "SUPPORTED"),
    (0.6, 0.9, 0.5, "<", "REFUTED"),
    (0.5, 0.9, 0.5, "<", "REFUTED"),
    (0.4, 0.6, 0.5, "<", "INCONCLUSIVE"),
    (-math.inf, math.inf, 0.0, ">", "INCONCLUSIVE"),
])
def test_decide(low, high, threshold, direction, expected):
    assert decide(Interval((low + high) / 2, low, high, 3), threshold, direction) == expected


def test_decide_rejects_unknown_direction():
    with pytest.raises(ValueError, match="direction='>=' must be one of"):
        decide(Interval(0, 0, 0, 1), 0.0, ">=")


RESULTS = [
    {"config": {"act": "relu", "depth": 2}, "seed": 1, "metrics": {"acc": 0.8}},
    {"config": {"act": "relu", "depth": 2}, "seed": 0, "metrics": {"acc": 0.7}},
    {"config": {"act": "tanh", "depth": 2}, "seed": 0, "metrics": {"acc": 0.6}},
]


def test_select_metric_values_by_config():
    relu = select(RESULTS, act="relu")
    assert [r["seed"] for r in relu] == [0, 1]
    assert metric_values(relu, "acc") == [0.7, 0.8]
    assert select(RESULTS, act="relu", depth=3) == []
    groups = by_config(RESULTS, "act")
    assert list(groups) == ["relu", "tanh"] and [r["seed"] for r in groups["relu"]] == [0, 1]
    with pytest.raises(KeyError, match="metric 'loss' not in result; it has \\['acc'\\]"):
        metric_values(RESULTS, "loss")


@pytest.mark.parametrize("labels, expected", [
    (["SUPPORTED", "SUPPORTED"], "SUPPORTED"),
    (["REFUTED"], "REFUTED"),
    (["SUPPORTED", "REFUTED"], "NUANCED"),
    (["SUPPORTED", "INCONCLUSIVE"], "INCONCLUSIVE"),
    (["REFUTED", "REFUTED", "SUPPORTED", "INCONCLUSIVE"], "NUANCED"),
])
def test_combine(labels, expected):
    assert combine(labels) == expected


def test_combine_rejects_no_labels():
    with pytest.raises(ValueError, match="at least one label"):
        combine([])


def test_interval_fmt():
    assert Interval(0.12345, 0.1, 0.2, 3).fmt(2) == "0.12 [0.1, 0.2]"
