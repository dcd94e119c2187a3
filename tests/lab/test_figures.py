"""The shared figure helpers."""

import pytest

from mustknow.lab.figures import pyplot, save_figure, series_mean


def _r(curve):
    return {"series": {"loss": curve}}


def test_series_mean_is_elementwise():
    assert series_mean([_r([1.0, 2.0]), _r([3.0, 6.0])], "loss") == [2.0, 4.0]


@pytest.mark.parametrize("results, match", [
    ([], "at least one result"),
    ([_r([1.0]), _r([1.0, 2.0])], r"one length across results; got lengths \[1, 2\]"),
])
def test_series_mean_rejects_bad_input(results, match):
    with pytest.raises(ValueError, match=match):
        series_mean(results, "loss")


def test_save_figure_writes_and_closes(tmp_path):
    plt = pyplot()
    fig, ax = plt.subplots()
    ax.plot([0, 1], [1, 0])
    path = save_figure(fig, tmp_path / "sub", "line.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not plt.fignum_exists(fig.number)
