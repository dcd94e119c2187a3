"""``index.html``: one offline page (no CDN, no network), figures as local files.

The page holds both languages; ``lang`` picks the one shown first and a
button switches (the choice is a ``data-lang`` attribute on ``<html>``; CSS
hides the other language's spans). Questions' titles are shown in both
languages always, as the note asks them and in English.
"""

from __future__ import annotations

import html
import importlib
import inspect
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import mustknow

from .i18n import LANGS, text, verdict_name
from .summary import ClaimReport, QuestionReport, environs, jsonable

__all__ = ["render_html", "source_location"]

_REPO = Path(mustknow.__file__).resolve().parent.parent

_CSS = """
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI","Noto Sans CJK SC","PingFang SC",sans-serif;
 max-width:1100px;margin:0 auto;padding:1em 1.5em;color:#1d2329}
[data-lang=en] .zh,[data-lang=zh] .en{display:none}
h1{font-size:1.6em}h2{margin-top:2em;border-bottom:2px solid #dde}h3{margin-top:1.5em}
table{border-collapse:collapse;margin:.5em 0;font-size:.92em}
td,th{border:1px solid #ccd;padding:.2em .5em;text-align:left;vertical-align:top}
th{background:#f2f3f7}td.num{text-align:right;font-variant-numeric:tabular-nums}
.badge{display:inline-block;padding:.05em .5em;border-radius:.6em;font-weight:600;font-size:.85em;color:#fff}
.SUPPORTED{background:#1b7f3b}.REFUTED{background:#b3261e}.NUANCED{background:#a15c00}
.INCONCLUSIVE{background:#5f6368}.not_run{background:#9aa0a6}.error{background:#6a1b9a}
.claim{border:1px solid #dde;border-radius:6px;padding:.6em 1em;margin:1em 0}
dl{display:grid;grid-template-columns:max-content auto;gap:.2em 1em}dt{font-weight:600}dd{margin:0}
figure{display:inline-block;margin:.5em}img{max-width:100%;height:auto}
code{background:#f4f4f6;padding:0 .2em}pre{background:#f4f4f6;padding:.5em;overflow:auto;font-size:.85em}
#lang-switch{float:right;margin-top:.4em}.err{color:#b3261e}
"""

_SCRIPT = """
document.getElementById('lang-switch').addEventListener('click', function () {
  var root = document.documentElement;
  var next = root.getAttribute('data-lang') === 'en' ? 'zh' : 'en';
  root.setAttribute('data-lang', next);
  root.setAttribute('lang', next === 'zh' ? 'zh-CN' : 'en');
});
"""


def _e(s: Any) -> str:
    return html.escape(str(s))


def _both(en: str, zh: str, tag: str = "span") -> str:
    """The same prose in both languages; CSS shows one."""
    return f'<{tag} class="en">{_e(en)}</{tag}><{tag} class="zh">{_e(zh)}</{tag}>'


def _t(key: str) -> str:
    return _both(text(key, "en"), text(key, "zh"))


def _error(key: str, **fields: str) -> str:
    """An error paragraph from a fixed sentence of :mod:`.i18n`, in both languages."""
    return f'<p class="err">{_both(text(key, "en").format(**fields), text(key, "zh").format(**fields))}</p>'


def _badge(label: str) -> str:
    return f'<span class="badge {label}">{_both(verdict_name(label, "en"), verdict_name(label, "zh"))}</span>'


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    if isinstance(v, list):
        return f"[{len(v)} values]"
    return str(v)


def source_location(dotted: str) -> str | None:
    """``file:line`` of a dotted name, relative to the repository, or ``None`` if it does not resolve."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj: Any = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        try:
            for attr in parts[cut:]:
                obj = getattr(obj, attr)
            path = Path(inspect.getsourcefile(obj) or "").resolve()
            line = inspect.getsourcelines(obj)[1] if not inspect.ismodule(obj) else 1
        except (AttributeError, TypeError, OSError):
            return None
        try:
            path = path.relative_to(_REPO)
        except ValueError:
            pass
        return f"{path.as_posix()}:{max(line, 1)}"
    return None


def _img(path: Path, out_dir: Path) -> str:
    rel = Path(os.path.relpath(Path(path).resolve(), out_dir.resolve())).as_posix()
    return f'<figure><img src="{_e(rel)}" alt="{_e(Path(path).stem)}"></figure>'


def _pick_images(paths: Sequence[Path]) -> list[Path]:
    """One file per figure: PNG when a figure exists as PNG and SVG."""
    by_stem: dict[str, Path] = {}
    for p in map(Path, paths):
        if p.suffix.lower() in (".png", ".svg") and (p.stem not in by_stem or p.suffix.lower() == ".png"):
            by_stem[p.stem] = p
    return list(by_stem.values())


def _close_figures() -> None:
    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")


def _draw_note_figures(names: set[str], fig_dir: Path) -> dict[str, list[Path] | str]:
    """The note's figures (``mustknow plot``) the questions name: their files, or the error that stopped one."""
    drawn: dict[str, list[Path] | str] = {}
    if not names:
        return drawn
    try:
        module = importlib.import_module("mustknow.lab.report.note_figures")
    except Exception as err:  # the page still renders, with the error where the figures would be
        return {name: f"{type(err).__name__}: {err}" for name in names}
    for name in sorted(names):
        try:
            drawn.update({k: [Path(p) for p in v] for k, v in module.draw_note_figures(fig_dir, only=name).items()})
        except Exception as err:
            drawn[name] = f"{type(err).__name__}: {err}"
        finally:
            _close_figures()
    return drawn


def _claim_figures(c: ClaimReport, fig_dir: Path, out_dir: Path) -> str:
    if c.claim.figure is None or not c.results:
        return ""
    try:
        paths = c.claim.figure(c.results, fig_dir / c.claim.id)
    except Exception as err:  # one broken figure must not take the page down
        return _error("figure_error", error=f"{type(err).__name__}: {err}")
    finally:
        _close_figures()
    return "".join(_img(p, out_dir) for p in _pick_images(paths or []))


def _seed_table(c: ClaimReport) -> str:
    if not c.results:
        return ""
    configs = [r["config"] for r in c.results]
    keys = [k for k in configs[0] if len({json.dumps(cfg.get(k), sort_keys=True) for cfg in configs}) > 1]
    named = c.verdict.evidence.get("metrics") if c.verdict else None
    metrics: list[str] = []
    if isinstance(named, list) and all(isinstance(m, str) for m in named):
        metrics = [m for m in named if any(m in r["metrics"] for r in c.results)]
    if not metrics:
        for r in c.results:
            metrics += [m for m in r["metrics"] if m not in metrics]
    head = "".join(f"<th>{_e(k)}</th>" for k in [*keys, "seed", *metrics])
    body = []
    for r in c.results:
        cells = [_e(_fmt(r["config"].get(k))) for k in keys] + [str(r["seed"])]
        cells += [_e(_fmt(r["metrics"].get(m, ""))) for m in metrics]
        body.append("<tr>" + "".join(f'<td class="num">{x}</td>' for x in cells) + "</tr>")
    return (f"<details open><summary>{_t('per_seed')} ({len(c.results)})</summary>"
            f"<table><tr>{head}</tr>{''.join(body)}</table></details>")


def _claim(c: ClaimReport, fig_dir: Path, out_dir: Path) -> str:
    cl = c.claim
    label = c.verdict.label if c.verdict else c.status
    evidence = ""
    if c.verdict and c.verdict.evidence:
        dumped = json.dumps(jsonable(c.verdict.evidence), indent=1, ensure_ascii=False)
        evidence = f"<details><summary>{_t('evidence')}</summary><pre>{_e(dumped)}</pre></details>"
    return f"""
<div class="claim" id="{_e(cl.id)}">
<h3><code>{_e(cl.id)}</code> {_badge(label)}</h3>
<dl>
<dt>{_t('note_says')}</dt><dd lang="zh-CN">{_e(cl.note_zh)} <small>({_t('section')}: {_e(cl.section)})</small></dd>
<dt>{_t('as_tested')}</dt><dd>{_both(cl.claim_en, cl.claim_zh)}</dd>
<dt>{_t('metric')}</dt><dd>{_e(cl.metric)}</dd>
<dt>{_t('comparison')}</dt><dd>{_e(cl.comparison)}</dd>
<dt>{_t('threshold')}</dt><dd><code>{_e(cl.threshold)}</code></dd>
<dt>{_t('verdict')}</dt><dd>{_badge(label)} {_both(c.explanation('en'), c.explanation('zh'))}</dd>
</dl>
{_seed_table(c)}
{_claim_figures(c, fig_dir, out_dir)}
{evidence}
</div>"""


def _question(q: QuestionReport, note: dict[str, list[Path] | str], fig_dir: Path, out_dir: Path) -> str:
    qu = q.question
    impl = []
    for name in qu.implemented_by:
        loc = source_location(name)
        where = f" &mdash; <code>{_e(loc)}</code>" if loc else f" &mdash; <em>{_t('not_found')}</em>"
        impl.append(f"<li><code>{_e(name)}</code>{where}</li>")
    figs = []
    for name in qu.note_figures:
        got = note.get(name)
        if got is None:
            figs.append(_error("figure_missing", name=name))
        elif isinstance(got, str):
            figs.append(_error("figure_error", error=got))
        else:
            figs += [_img(p, out_dir) for p in _pick_images(got)]
    return f"""
<section id="q{qu.number}">
<h2>{qu.number}. <span lang="zh-CN">{_e(qu.title_zh)}</span><br><small>{_e(qu.title_en)}</small></h2>
<h4>{_t('answer')}</h4>{_both(qu.answer_en, qu.answer_zh, 'p')}
{f"<h4>{_t('note_figures')}</h4>" + ''.join(figs) if figs else ''}
{f"<h4>{_t('implemented_by')}</h4><ul>{''.join(impl)}</ul>" if impl else ''}
{''.join(_claim(c, fig_dir, out_dir) for c in q.claims)}
</section>"""


def _summary_table(reports: Sequence[QuestionReport]) -> str:
    rows = []
    for q in reports:
        for c in q.claims:
            label = c.verdict.label if c.verdict else c.status
            rows.append(f'<tr><td><a href="#{_e(c.claim.id)}"><code>{_e(c.claim.id)}</code></a></td>'
                        f'<td class="num">{c.claim.question}</td><td>{_badge(label)}</td>'
                        f'<td>{_both(c.explanation("en"), c.explanation("zh"))}</td></tr>')
    return (f'<table id="summary"><tr><th>{_t("claim")}</th><th>{_t("question")}</th><th>{_t("verdict")}</th>'
            f'<th>{_t("explanation")}</th></tr>{"".join(rows)}</table>')


def _environment(reports: Sequence[QuestionReport], summary: dict[str, Any]) -> str:
    rows = "".join(
        "<tr>" + "".join(f"<td>{_e(env.get(k))}</td>" for k in ("python", "torch", "mustknow", "git_sha", "device",
                                                                   "threads")) + "</tr>"
        for env in environs(reports))
    return f"""
<section id="environment"><h2>{_t('environment')}</h2>
<p>{_t('profile')}: <code>{_e(summary['profile'])}</code>; {_t('trial_time')}: {summary['wall_s']:.2f} s</p>
<table><tr><th>python</th><th>torch</th><th>mustknow</th><th>git</th><th>device</th><th>threads</th></tr>{rows}</table>
</section>"""


def render_html(reports: Sequence[QuestionReport], out_dir: Path, summary: dict[str, Any], lang: str = "en") -> Path:
    """Write ``out_dir/index.html`` and its figures under ``out_dir/figures``; return the page's path."""
    if lang not in LANGS:
        raise ValueError(f"lang={lang!r} must be one of {', '.join(LANGS)}")
    fig_dir = out_dir / "figures"
    fig_dir.mkdir(parents=True, exist_ok=True)
    note = _draw_note_figures({n for q in reports for n in q.question.note_figures}, fig_dir / "note")
    body = "".join(_question(q, note, fig_dir, out_dir) for q in reports)
    page = f"""<!DOCTYPE html>
<html lang="{'zh-CN' if lang == 'zh' else 'en'}" data-lang="{lang}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,"><title>mustknow report</title><style>{_CSS}</style></head>
<body>
<button id="lang-switch" type="button">{_t('switch')}</button>
<h1>{_t('title')}</h1>
<h2>{_t('summary')}</h2>
{_summary_table(reports)}
{body}
{_environment(reports, summary)}
<script>{_SCRIPT}</script>
</body></html>
"""
    path = out_dir / "index.html"
    path.write_text(page, encoding="utf-8")
    return path
