"""Tests for mustknow.lab.report.note_figures: every figure written as valid SVG and PNG."""

import xml.etree.ElementTree as ET

import pytest

from mustknow.lab.report.note_figures import NOTE_FIGURES, draw_note_figures

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def drawn(tmp_path_factory):
    out = tmp_path_factory.mktemp("figures") / "nested"  # a folder that does not exist yet
    return out, draw_note_figures(str(out))


def test_registry_names_the_three_lost_figures():
    assert set(NOTE_FIGURES) == {"activations", "classification-losses", "softmax-vs-sigmoid"}


def test_every_figure_is_written_as_valid_svg_and_png(drawn):
    out, result = drawn
    assert set(result) == set(NOTE_FIGURES)
    for name, paths in result.items():
        assert sorted(p.name for p in paths) == [f"{name}.png", f"{name}.svg"]
        for path in paths:
            assert path.parent == out and path.stat().st_size > 1000
        svg = next(p for p in paths if p.suffix == ".svg")
        assert ET.parse(svg).getroot().tag.endswith("svg")
        png = next(p for p in paths if p.suffix == ".png")
        assert png.read_bytes()[:8] == PNG_SIGNATURE


def test_figures_carry_their_titles_and_legends(drawn):
    _, result = drawn
    text = {name: next(p for p in paths if p.suffix == ".svg").read_text() for name, paths in result.items()}
    assert "derivatives" in text["activations"] and "mish" in text["activations"]
    assert "base 2" in text["classification-losses"] and "hinge" in text["classification-losses"]
    assert "sigmoid" in text["softmax-vs-sigmoid"]


def test_only_draws_one_figure(tmp_path):
    result = draw_note_figures(tmp_path, only="classification-losses")
    assert list(result) == ["classification-losses"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["classification-losses.png", "classification-losses.svg"]


def test_unknown_figure_name_raises(tmp_path):
    with pytest.raises(ValueError, match="only='loss' must be one of 'activations', 'classification-losses'"):
        draw_note_figures(tmp_path, only="loss")
    assert not any(tmp_path.iterdir())
