"""``index.html``: one offline page (no CDN, no network), figures as local files.

The page holds both languages; ``lang`` picks the one shown first and a
button switches (the choice is a ``data-lang`` attribute on ``<html>``; CSS
hides the other language's spans). Questions' titles are shown in both
languages always, as the note asks them and in English.

Layout: a contents column, a summary (counts per verdict, one row per claim
grouped by question), then per question its answer, the note's lost figures,
the code that implements it and one card per claim (the note's words beside
what was measured, how it was tested, figures that open at full size, the
per-seed table folded), and the environment last. Print styles drop the
navigation and unfold the tables. No script beyond the language switch and
the print unfolding; no external resource.

Figures are the slow part of a render (matplotlib). Each drawing is recorded
in a ``drawn*.json`` file beside it with a hash of what it was drawn from
(the stored results, the drawing code, mustknow's sources); a re-render
reuses files whose hash matches. Delete ``figures/`` to force a redraw.
"""

from __future__ import annotations

import functools
import hashlib
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

from .i18n import LANGS, text, verdict_meaning, verdict_name
from .summary import ClaimReport, QuestionReport, environs, jsonable, verdict_counts

__all__ = ["render_html", "source_location"]

_REPO = Path(mustknow.__file__).resolve().parent.parent

_SANS = ('system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","Helvetica Neue",Arial,"PingFang SC",'
         '"Hiragino Sans GB","Microsoft YaHei","Noto Sans CJK SC","Source Han Sans SC","WenQuanYi Micro Hei",'
         'sans-serif')
_SANS_ZH = ('"PingFang SC","Hiragino Sans GB","Microsoft YaHei","Noto Sans CJK SC","Source Han Sans SC",'
            '"WenQuanYi Micro Hei",system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",Arial,sans-serif')
_MONO = ('ui-monospace,SFMono-Regular,Menlo,Consolas,"DejaVu Sans Mono","Liberation Mono","Noto Sans Mono CJK SC",'
         'monospace')

# Verdict colours: (badge, tinted background). Badges keep >= 4.5:1 contrast with white text.
_COLOURS = {"SUPPORTED": ("#1b7f3b", "#edf7f0"), "REFUTED": ("#b3261e", "#fcefee"), "NUANCED": ("#9a5800", "#fdf4e7"),
            "INCONCLUSIVE": ("#5f6368", "#f1f3f4"), "not_run": ("#6f767d", "#f4f5f6"), "error": ("#6a1b9a", "#f5eefa")}

_CSS = """
:root{--ink:#1f2328;--muted:#59636e;--line:#d8dee4;--soft:#f6f8fa;--link:#0b5cad;--accent:#24292f}
*{box-sizing:border-box}
html{scroll-behavior:smooth;-webkit-text-size-adjust:100%}
body{font:16px/1.6 """ + _SANS + """;color:var(--ink);margin:0;background:#fff}
[lang|=zh],[data-lang=zh] body{font-family:""" + _SANS_ZH + """}
code,pre,.mono{font-family:""" + _MONO + """;font-size:.88em}
[data-lang=en] .zh,[data-lang=zh] .en{display:none!important}
a{color:var(--link);text-decoration:none}a:hover{text-decoration:underline}
.page{display:grid;grid-template-columns:17rem minmax(0,1fr);gap:2.5rem;max-width:84rem;margin:0 auto;
 padding:0 1.5rem}
#toc{position:sticky;top:0;align-self:start;max-height:100vh;overflow:auto;padding:2rem 0;font-size:.9em}
#toc h2{font-size:.8em;text-transform:uppercase;letter-spacing:.06em;color:var(--muted);margin:0 0 .5em;border:0}
#toc ol{list-style:none;margin:0;padding:0}#toc li{margin:.1em 0}
#toc a{display:block;padding:.3em .5em;border-radius:6px;color:var(--ink)}
#toc a:hover{background:var(--soft);text-decoration:none}
#toc .qn{color:var(--muted);font-variant-numeric:tabular-nums;margin-right:.3em}
#toc .dots{display:block;margin-top:.15em}
main{min-width:0;max-width:62rem;padding-bottom:4rem}
header.top{grid-column:1/-1;display:flex;align-items:flex-start;justify-content:space-between;gap:1rem;
 padding-top:1.2rem}
h1{font-size:1.75em;line-height:1.25;margin:.2em 0 .2em}
.lede{color:var(--muted);margin:0 0 1em}
#lang-switch{font:inherit;font-size:.9em;padding:.35em .9em;border:1px solid var(--line);border-radius:6px;
 background:#fff;cursor:pointer;white-space:nowrap}
#lang-switch:hover{background:var(--soft)}
h2{font-size:1.4em;line-height:1.3;margin:2.2em 0 .6em;padding-bottom:.3em;border-bottom:1px solid var(--line)}
h3{font-size:1.05em;margin:0}
h4{font-size:.8em;text-transform:uppercase;letter-spacing:.06em;color:var(--muted);margin:1.6em 0 .5em}
p{margin:.5em 0}small{color:var(--muted)}
.badge{display:inline-block;padding:.1em .55em;border-radius:1em;font-weight:600;font-size:.78em;color:#fff;
 letter-spacing:.02em;white-space:nowrap;vertical-align:.08em;line-height:1.45}
.dot{display:inline-block;min-width:1.5em;padding:0 .35em;border-radius:1em;color:#fff;font-size:.75em;
 font-weight:600;text-align:center;margin-right:.2em;line-height:1.5}
.counts{display:flex;flex-wrap:wrap;gap:.5em;margin:.8em 0}
.count{display:flex;align-items:center;gap:.5em;padding:.45em .8em;border-radius:8px;border:1px solid var(--line)}
.count b{font-size:1.4em;font-variant-numeric:tabular-nums;line-height:1}
.legend{font-size:.88em;color:var(--muted);margin:.3em 0 1em;padding:0;list-style:none}
.legend li{margin:.2em 0}
.tablewrap{overflow-x:auto;margin:.5em 0}
table{border-collapse:collapse;font-size:.9em;width:100%}
th,td{padding:.4em .6em;text-align:left;vertical-align:top;border-bottom:1px solid var(--line)}
thead th{background:var(--soft);border-bottom:2px solid var(--line);font-size:.9em;white-space:nowrap}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
#summary td.q{white-space:nowrap;border-right:1px solid var(--line)}
#summary td.id,#summary td.v{white-space:nowrap}
#summary .expl{display:-webkit-box;-webkit-line-clamp:3;-webkit-box-orient:vertical;overflow:hidden;
 color:var(--muted);font-size:.92em}
#summary tbody tr:hover{background:var(--soft)}
section.question{margin-top:3rem}#overview>h2{margin-top:.8em}
.kicker{font-size:.8em;text-transform:uppercase;letter-spacing:.06em;color:var(--muted);margin:3rem 0 0}
section.question>h2{margin-top:.1em}
h2 .title-en{display:block;font-size:.72em;font-weight:500;color:var(--muted);margin-top:.2em}
.answer{background:var(--soft);border-radius:8px;padding:.8em 1.1em;margin:.6em 0;max-width:48rem}
.impl{list-style:none;padding:0;margin:0;font-size:.9em;columns:2 24rem;column-gap:2rem}
.impl li{break-inside:avoid;padding:.1em 0}.impl .loc{color:var(--muted);font-size:.85em;display:block}
.claim{border:1px solid var(--line);border-radius:10px;margin:1.6rem 0;padding:0 1.2rem 1rem;scroll-margin-top:1rem}
.claim>header{display:flex;align-items:center;gap:.6em;flex-wrap:wrap;padding:.8em 0;
 border-bottom:1px solid var(--line);margin-bottom:.9em}
.claim>header code{font-size:.95em;font-weight:600}a.self{color:var(--ink)}
.versus{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1.4fr);gap:1rem}
.versus>div{border-radius:8px;padding:.7em 1em}
.versus h4{margin:0 0 .35em}
.said{background:var(--soft);border-left:4px solid #8c959f}
.measured{border-left:4px solid}
.measured p{margin:.3em 0 0}
dl.method{display:grid;grid-template-columns:max-content minmax(0,1fr);gap:.35em 1.2em;margin:1em 0;
 font-size:.93em}
dl.method dt{font-weight:600;color:var(--muted)}dl.method dd{margin:0}
.figs{display:flex;flex-wrap:wrap;gap:1rem;margin:1rem 0}
figure{margin:0;flex:0 1 auto;max-width:100%}
figure a{display:block;border:1px solid var(--line);border-radius:6px;padding:.3rem;background:#fff;cursor:zoom-in}
figure img{display:block;max-width:100%;height:auto}
details{margin:.6em 0}
summary{cursor:pointer;color:var(--muted);font-size:.9em;font-weight:600}
summary:hover{color:var(--ink)}
table.seeds{font-size:.8em;width:auto}
table.seeds th,table.seeds td{padding:.2em .55em;white-space:nowrap}
table.seeds tbody tr:nth-child(even){background:#fafbfc}
pre{background:var(--soft);padding:.7em;border-radius:6px;overflow:auto;font-size:.8em;max-height:28rem}
.err{color:#b3261e}
#environment table{width:auto}
.totop{font-size:.85em}
""" + "".join(f".{k}{{background:{c}}}.measured.{k}{{background:{t};border-color:{c}}}"
              f".count.{k}{{background:{t};border-color:{c}}}.count.{k} b{{color:{c}}}"
              for k, (c, t) in _COLOURS.items()) + """
@media (max-width:1000px){.page{display:block}#toc{position:static;max-height:none;padding-bottom:0}
 #toc ol{columns:2 16rem}.versus{grid-template-columns:1fr}}
@media print{
 body{font-size:10.5pt}.page{display:block;padding:0}#toc,#lang-switch,.totop{display:none}
 main{max-width:none}a{color:inherit}
 .badge,.dot,.count,.measured,.said,.answer{-webkit-print-color-adjust:exact;print-color-adjust:exact}
 .claim{break-inside:auto}.claim>header,.versus,figure,tr{break-inside:avoid}
 h2,h3,h4,.kicker{break-after:avoid}#summary .expl{display:block}
 figure{flex-basis:100%}figure a{border:0;padding:0}
 .tablewrap{overflow:visible}pre{max-height:none;white-space:pre-wrap}details.json{display:none}
 table.seeds{font-size:7pt}table.seeds th,table.seeds td{white-space:normal;overflow-wrap:anywhere}
}
"""

_SCRIPT = """
document.getElementById('lang-switch').addEventListener('click', function () {
  var root = document.documentElement;
  var next = root.getAttribute('data-lang') === 'en' ? 'zh' : 'en';
  root.setAttribute('data-lang', next);
  root.setAttribute('lang', next === 'zh' ? 'zh-CN' : 'en');
});
// print every collapsed section but the raw JSON, then fold them back
var folded = [];
window.addEventListener('beforeprint', function () {
  folded = Array.prototype.filter.call(document.querySelectorAll('details:not(.json)'), function (d) {
    return !d.open;
  });
  folded.forEach(function (d) { d.open = true; });
});
window.addEventListener('afterprint', function () { folded.forEach(function (d) { d.open = false; }); });
"""


def _e(s: Any) -> str:
    return html.escape(str(s))


def _both(en: str, zh: str, tag: str = "span", cls: str = "") -> str:
    """The same prose in both languages; CSS shows one."""
    c = f"{cls} " if cls else ""
    return f'<{tag} class="{c}en">{_e(en)}</{tag}><{tag} class="{c}zh" lang="zh-CN">{_e(zh)}</{tag}>'


def _t(key: str, **fields: Any) -> str:
    return _both(text(key, "en").format(**fields), text(key, "zh").format(**fields))


def _error(key: str, **fields: str) -> str:
    """An error paragraph from a fixed sentence of :mod:`.i18n`, in both languages."""
    return f'<p class="err">{_t(key, **fields)}</p>'


def _paragraphs(prose: str, lang: str) -> str:
    """Prose in one language, a paragraph per block separated by a blank line."""
    blocks = "".join(f"<p>{_e(block.strip())}</p>" for block in prose.split("\n\n") if block.strip())
    tag = ' lang="zh-CN"' if lang == "zh" else ""
    return f'<div class="{lang}"{tag}>{blocks}</div>'


def _badge(label: str) -> str:
    return f'<span class="badge {label}">{_both(verdict_name(label, "en"), verdict_name(label, "zh"))}</span>'


def _dots(claims: Sequence[ClaimReport]) -> str:
    """Small coloured counts, one per label the claims show (the verdict's name as a tooltip)."""
    return "".join(f'<span class="dot {label}" title="{_e(verdict_name(label, "en"))} / '
                   f'{_e(verdict_name(label, "zh"))}">{n}</span>' for label, n in verdict_counts(claims).items())


def _fmt(v: Any) -> str:
    if v is None:
        return "\u2014"
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() and abs(v) < 1e9 else f"{v:.4g}"
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
    """A figure that opens at full size when clicked (a plain link: no script)."""
    rel = _e(Path(os.path.relpath(Path(path).resolve(), out_dir.resolve())).as_posix())
    tip = f'{_e(text("enlarge", "en"))} / {_e(text("enlarge", "zh"))}'
    return (f'<figure><a href="{rel}" target="_blank" title="{tip}">'
            f'<img src="{rel}" alt="{_e(Path(path).stem)}"></a></figure>')


def _figs(items: Sequence[str]) -> str:
    return f'<div class="figs">{"".join(items)}</div>' if items else ""


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


def _source_key(obj: Any, *parts: Any) -> str:
    """A hash of what a figure is drawn from: ``parts``, the source file of ``obj`` (the drawing code) and every
    source file of mustknow (the helpers it may call); ``""`` when ``obj`` has no source file (never reused)."""
    bound = []
    while isinstance(obj, functools.partial):  # e.g. one drawing function shared by several claims
        bound.append(repr((obj.args, sorted(obj.keywords.items()))))
        obj = obj.func
    try:
        digest = hashlib.sha256(Path(inspect.getsourcefile(obj) or "").read_bytes())
    except (TypeError, OSError):
        return ""
    digest.update(f"{getattr(obj, '__module__', '')}.{getattr(obj, '__qualname__', '')}{bound}".encode())
    digest.update(_package_digest().encode())
    digest.update(json.dumps(jsonable(parts), sort_keys=True).encode())
    return digest.hexdigest()


def _package_digest() -> str:
    """A hash of every source file of mustknow, read again only when a file's size or mtime has changed."""
    stamps = []
    for path in sorted(_REPO.joinpath("mustknow").rglob("*.py")):
        st = path.stat()
        stamps.append((str(path), st.st_mtime_ns, st.st_size))
    return _hash_files(tuple(stamps))


@functools.lru_cache(maxsize=4)
def _hash_files(stamps: tuple[tuple[str, int, int], ...]) -> str:
    digest = hashlib.sha256()
    for path, _, _ in stamps:
        digest.update(Path(path).read_bytes())
    return digest.hexdigest()


def _reuse(manifest: Path, key: str) -> dict[str, list[Path]] | None:
    """Figures drawn before from the same ``key`` whose files are all still there, else ``None``."""
    try:
        drawn = json.loads(manifest.read_text(encoding="utf-8"))
        files = {name: [manifest.parent / f for f in fs] for name, fs in drawn["files"].items()}
        fresh = bool(key) and drawn["key"] == key
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    return files if fresh and all(f.is_file() for fs in files.values() for f in fs) else None


def _remember(manifest: Path, key: str, files: dict[str, list[Path]]) -> None:
    """Record what ``key`` drew, when every file lies next to the manifest (anything else is drawn again)."""
    here = manifest.parent.resolve()
    if key and all(f.resolve().parent == here for fs in files.values() for f in fs):
        manifest.write_text(json.dumps({"key": key, "files": {n: [f.name for f in fs] for n, fs in files.items()}}),
                            encoding="utf-8")
    else:
        manifest.unlink(missing_ok=True)


def _draw_note_figures(names: set[str], fig_dir: Path) -> dict[str, list[Path] | str]:
    """The note's figures (``mustknow plot``) the questions name: their files, or the error that stopped one."""
    drawn: dict[str, list[Path] | str] = {}
    if not names:
        return drawn
    try:
        module = importlib.import_module("mustknow.lab.report.note_figures")
    except Exception as err:  # the page still renders, with the error where the figures would be
        return {name: f"{type(err).__name__}: {err}" for name in names}
    fig_dir.mkdir(parents=True, exist_ok=True)
    for name in sorted(names):
        manifest, key = fig_dir / f"drawn-{name}.json", _source_key(module, name)
        files = _reuse(manifest, key)
        if files is None:
            try:
                files = {k: [Path(p) for p in v] for k, v in module.draw_note_figures(fig_dir, only=name).items()}
            except Exception as err:
                drawn[name] = f"{type(err).__name__}: {err}"
                manifest.unlink(missing_ok=True)
                continue
            finally:
                _close_figures()
            _remember(manifest, key, files)
        drawn.update(files)
    return drawn


def _claim_figures(c: ClaimReport, fig_dir: Path, out_dir: Path) -> str:
    """The claim's figures in ``fig_dir/<claim id>``: drawn, or reused when drawn from the same results and code."""
    if c.claim.figure is None or not c.results:
        return ""
    folder = fig_dir / c.claim.id
    manifest, key = folder / "drawn.json", _source_key(c.claim.figure, c.results)
    files = _reuse(manifest, key)
    if files is None:
        try:
            files = {"figure": [Path(p) for p in c.claim.figure(c.results, folder) or []]}
        except Exception as err:  # one broken figure must not take the page down
            manifest.unlink(missing_ok=True)
            return _error("figure_error", error=f"{type(err).__name__}: {err}")
        finally:
            _close_figures()
        if folder.is_dir():
            _remember(manifest, key, files)
    return _figs([_img(p, out_dir) for p in _pick_images(files["figure"])])


def _seed_table(c: ClaimReport) -> str:
    """Every stored trial, one row each, folded away (the verdict above is what most readers want)."""
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
    head = "".join(f'<th class="num">{_e(k)}</th>' for k in [*keys, "seed", *metrics])
    body = []
    for r in c.results:
        cells = [_e(_fmt(r["config"].get(k))) for k in keys] + [str(r["seed"])]
        cells += [_e(_fmt(r["metrics"].get(m, ""))) for m in metrics]
        body.append("<tr>" + "".join(f'<td class="num">{x}</td>' for x in cells) + "</tr>")
    return (f"<details><summary>{_t('per_seed')} &middot; {_t('trials_seeds', trials=len(c.results), seeds=c.n_seeds)}"
            f'</summary><div class="tablewrap"><table class="seeds"><thead><tr>{head}</tr></thead>'
            f"<tbody>{''.join(body)}</tbody></table></div></details>")


def _claim(c: ClaimReport, fig_dir: Path, out_dir: Path) -> str:
    cl = c.claim
    label = c.label
    evidence = ""
    if c.verdict and c.verdict.evidence:
        dumped = json.dumps(jsonable(c.verdict.evidence), indent=1, ensure_ascii=False)
        evidence = (f'<details class="json"><summary>{_t("evidence")} (JSON)</summary>'
                    f"<pre>{_e(dumped)}</pre></details>")
    return f"""
<article class="claim" id="{_e(cl.id)}">
<header><h3><a class="self" href="#{_e(cl.id)}"><code>{_e(cl.id)}</code></a></h3>{_badge(label)}</header>
<div class="versus">
<div class="said"><h4>{_t('note_says')}</h4><p lang="zh-CN">{_e(cl.note_zh)}</p>
<small>{_t('section')}: <span lang="zh-CN">{_e(cl.section)}</span></small></div>
<div class="measured {label}"><h4>{_t('measured')}</h4>{_both(c.explanation('en'), c.explanation('zh'), 'p')}</div>
</div>
<dl class="method">
<dt>{_t('as_tested')}</dt><dd>{_both(cl.claim_en, cl.claim_zh)}</dd>
<dt>{_t('metric')}</dt><dd>{_e(cl.metric)}</dd>
<dt>{_t('rule')}</dt><dd>{_e(cl.comparison)}</dd>
<dt>{_t('threshold')}</dt><dd><code>{_e(cl.threshold)}</code></dd>
</dl>
{_claim_figures(c, fig_dir, out_dir)}
{_seed_table(c)}
{evidence}
</article>"""


def _full_profile(qu) -> str:
    """The question's full-profile paragraph, in both languages (nothing when it has none)."""
    if not qu.full_profile_en:
        return ""
    return (f"<h4>{_t('full_profile')}</h4><div class=\"answer\">{_paragraphs(qu.full_profile_en, 'en')}"
            f"{_paragraphs(qu.full_profile_zh, 'zh')}</div>")


def _question(q: QuestionReport, note: dict[str, list[Path] | str], fig_dir: Path, out_dir: Path) -> str:
    qu = q.question
    impl = []
    for name in qu.implemented_by:
        loc = source_location(name)
        where = f'<span class="loc mono">{_e(loc)}</span>' if loc else f'<em class="loc">{_t("not_found")}</em>'
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
<section class="question" id="q{qu.number}">
<p class="kicker">{_t('question_n', n=qu.number)} &middot; {_dots(q.claims)}</p>
<h2><span lang="zh-CN">{_e(qu.title_zh)}</span><span class="title-en" lang="en">{_e(qu.title_en)}</span></h2>
<h4>{_t('answer')}</h4><div class="answer">{_paragraphs(qu.answer_en, "en")}{_paragraphs(qu.answer_zh, "zh")}</div>
{f"<h4>{_t('note_figures')}</h4>" + _figs(figs) if figs else ''}
{f'<h4>{_t("implemented_by")}</h4><ul class="impl">{"".join(impl)}</ul>' if impl else ''}
{_full_profile(qu)}
<h4>{_t('claims')} ({len(q.claims)})</h4>
{''.join(_claim(c, fig_dir, out_dir) for c in q.claims)}
<p class="totop"><a href="#overview">&uarr; {_t('top')}</a></p>
</section>"""


def _overview(reports: Sequence[QuestionReport]) -> str:
    """Counts per verdict, what each verdict means, and one row per claim grouped by question."""
    claims = [c for q in reports for c in q.claims]
    counts = verdict_counts(claims)
    chips = "".join(f'<div class="count {label}"><b>{n}</b>{_badge(label)}</div>' for label, n in counts.items())
    legend = "".join(f"<li>{_badge(label)} {_both(verdict_meaning(label, 'en'), verdict_meaning(label, 'zh'))}</li>"
                     for label in counts)
    rows = []
    for q in reports:
        qu = q.question
        for i, c in enumerate(q.claims):
            cell = (f'<td class="q" rowspan="{len(q.claims)}"><a href="#q{qu.number}">{_t("question_n", n=qu.number)}'
                    f"</a></td>") if i == 0 else ""
            rows.append(f'<tr>{cell}<td class="id"><a href="#{_e(c.claim.id)}"><code>{_e(c.claim.id)}</code></a></td>'
                        f'<td class="v">{_badge(c.label)}</td>'
                        f'<td>{_both(c.explanation("en"), c.explanation("zh"), "div", "expl")}</td></tr>')
    return f"""
<section id="overview"><h2>{_t('summary')}</h2>
<p class="lede">{_t('n_claims', n=len(claims), q=len(reports))}</p>
<div class="counts">{chips}</div>
<details class="legend-box"><summary>{_t('verdicts_mean')}</summary><ul class="legend">{legend}</ul></details>
<div class="tablewrap"><table id="summary"><thead><tr><th>{_t("question")}</th><th>{_t("claim")}</th>
<th>{_t("verdict")}</th><th>{_t("explanation")}</th></tr></thead><tbody>{"".join(rows)}</tbody></table></div>
</section>"""


def _toc(reports: Sequence[QuestionReport]) -> str:
    items = "".join(f'<li><a href="#q{q.question.number}"><span class="qn">{q.question.number}.</span>'
                    f'<span lang="zh-CN">{_e(q.question.title_zh)}</span>'
                    f'<span class="dots">{_dots(q.claims)}</span></a></li>' for q in reports)
    return (f'<nav id="toc" aria-label="contents"><h2>{_t("contents")}</h2><ol>'
            f'<li><a href="#overview">{_t("summary")}</a></li>{items}'
            f'<li><a href="#environment">{_t("environment")}</a></li></ol></nav>')


def _environment(reports: Sequence[QuestionReport], summary: dict[str, Any]) -> str:
    keys = ("python", "torch", "mustknow", "git_sha", "device", "threads")
    rows = "".join("<tr>" + "".join(f"<td><code>{_e(env.get(k))}</code></td>" for k in keys) + "</tr>"
                   for env in environs(reports))
    run = summary.get("run_wall_s")
    run_line = f"<li>{_t('run_time')}: {run:.1f} s</li>" if isinstance(run, (int, float)) else ""
    return f"""
<section id="environment"><h2>{_t('environment')}</h2>
<ul><li>{_t('profile')}: <code>{_e(summary['profile'])}</code></li>
<li>{_t('trial_time')}: {summary['wall_s']:.1f} s</li>{run_line}</ul>
<div class="tablewrap"><table><thead><tr><th>python</th><th>torch</th><th>mustknow</th><th>git</th><th>device</th>
<th>threads</th></tr></thead><tbody>{rows}</tbody></table></div>
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
<div class="page">
<header class="top"><h1>{_t('title')}</h1><button id="lang-switch" type="button">{_t('switch')}</button></header>
{_toc(reports)}
<main>
{_overview(reports)}
{body}
{_environment(reports, summary)}
</main>
</div>
<script>{_SCRIPT}</script>
</body></html>
"""
    path = out_dir / "index.html"
    path.write_text(page, encoding="utf-8")
    return path
