"""The report's fixed words in English and Chinese (prose comes from the claims and questions)."""

from __future__ import annotations

__all__ = ["LANGS", "text", "verdict_name", "verdict_meaning"]

#: Languages of the prose.
LANGS = ("en", "zh")

_TEXT = {
    "title": ("mustknow: evidence for the ten must-know questions", "mustknow:深度学习必会10题的实验证据"),
    "summary": ("Summary", "总览"),
    "claim": ("Claim", "论断"),
    "claims": ("Claims", "论断"),
    "question": ("Question", "问题"),
    "verdict": ("Verdict", "结论"),
    "explanation": ("Explanation", "说明"),
    "answer": ("Answer", "回答"),
    "implemented_by": ("Implemented by", "实现代码"),
    "full_profile": ("What the full profile adds", "full 配置档增加的证据"),
    "note_figures": ("Figures", "图示"),
    "note_says": ("The note says", "原文说法"),
    "as_tested": ("As tested", "检验的论断"),
    "metric": ("Metric", "指标"),
    "comparison": ("Comparison", "比较方式"),
    "threshold": ("Threshold", "阈值"),
    "per_seed": ("Per-seed results", "各随机种子的结果"),
    "evidence": ("Evidence", "证据"),
    "environment": ("Environment", "运行环境"),
    "profile": ("Profile", "配置档"),
    "trial_time": ("Trial time (sum, one thread)", "试验耗时(单线程累计)"),
    "switch": ("中文", "English"),
    "not_found": ("not found", "未找到"),
    "figure_error": ("figure failed: {error}", "绘图失败:{error}"),
    "figure_missing": ("figure {name} was not drawn", "图 {name} 未生成"),
    "verdict_error": ("the verdict rule failed: {error}", "判定规则出错:{error}"),
    "not_run_explained": ("not run: {stored} of {expected} trials stored", "未运行:已存 {stored}/{expected} 个试验"),
    "no_claims": ("no claims to report", "没有可报告的论断"),
    "section": ("Section", "出处"),
    "contents": ("Contents", "目录"),
    "question_n": ("Question {n}", "第 {n} 题"),
    "n_claims": ("{n} claims in {q} questions", "{q} 道题,共 {n} 条论断"),
    "measured": ("What was measured", "实测结果"),
    "how_tested": ("How it was tested", "检验方法"),
    "rule": ("Rule", "判定规则"),
    "enlarge": ("open the figure at full size", "打开原尺寸图片"),
    "trials_seeds": ("{trials} trials, {seeds} seeds", "{trials} 个试验,{seeds} 个随机种子"),
    "run_time": ("Wall time of the run", "本次运行耗时"),
    "verdicts_mean": ("What the verdicts mean", "结论的含义"),
    "top": ("back to the summary", "回到总览"),
}

#: One sentence per verdict for the page's legend.
_MEANING = {
    "SUPPORTED": ("the measurement agrees with the note, past the claim's threshold",
                  "测量结果与原文一致,且越过了该论断的阈值"),
    "REFUTED": ("the measurement contradicts the note", "测量结果与原文相反"),
    "NUANCED": ("true under some conditions and not others; the explanation names the condition",
                "在某些条件下成立、在另一些条件下不成立;说明中给出决定的条件"),
    "INCONCLUSIVE": ("the interval over seeds does not decide at the threshold", "各随机种子的置信区间在阈值处无法作出判断"),
    "not_run": ("some of the claim's trials are not stored yet", "该论断的试验尚未全部存储"),
    "error": ("the verdict rule raised an error (shown)", "判定规则运行出错(见说明)"),
}

_VERDICT = {
    "SUPPORTED": ("SUPPORTED", "支持"),
    "REFUTED": ("REFUTED", "反驳"),
    "NUANCED": ("NUANCED", "视条件而定"),
    "INCONCLUSIVE": ("INCONCLUSIVE", "无定论"),
    "not_run": ("NOT RUN", "未运行"),
    "error": ("ERROR", "出错"),
}


def _pick(pair: tuple[str, str], lang: str) -> str:
    if lang not in LANGS:
        raise ValueError(f"lang={lang!r} must be one of {', '.join(LANGS)}")
    return pair[LANGS.index(lang)]


def text(key: str, lang: str) -> str:
    """A fixed word of the page in ``lang``."""
    return _pick(_TEXT[key], lang)


def verdict_name(label: str, lang: str) -> str:
    """A verdict label, or ``"not_run"`` / ``"error"``, as shown in ``lang``."""
    return _pick(_VERDICT[label], lang)


def verdict_meaning(label: str, lang: str) -> str:
    """What a verdict label (or ``"not_run"`` / ``"error"``) means, one phrase in ``lang``."""
    return _pick(_MEANING[label], lang)
