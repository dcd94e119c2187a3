"""The report in a real browser: headless Chromium (Debian's package) driven by Playwright."""

import functools
import http.server
import threading
from pathlib import Path

import pytest

from mustknow.lab import runner
from mustknow.lab.report import render

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
HERE = Path(__file__).resolve().parent

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium "
                                                     "(apt-get install chromium; .ci/run installs it)"),
]


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def served_report(monkeypatch, tmp_path):
    """The fake lab's report, rendered from real results and served on 127.0.0.1."""
    monkeypatch.syspath_prepend(str(HERE))
    import lab_fakes

    questions = lab_fakes.install(monkeypatch)
    runner.run([c for q in questions for c in q.claims], results_dir=tmp_path / "results", progress=False)
    report = render(None, tmp_path / "report", "quick", tmp_path / "results", "en")
    handler = functools.partial(_QuietHandler, directory=str(tmp_path / "report"))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/index.html", report
    finally:
        server.shutdown()
        server.server_close()


def test_report_in_chromium(served_report):
    sync_api = pytest.importorskip("playwright.sync_api", reason="needs the playwright Python package")
    url, report = served_report
    ids = [c["id"] for c in report.summary["claims"]]
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page()
            problems = []
            page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
            page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
            page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url}"))
            response = page.goto(url, wait_until="load")
            assert response is not None and response.ok

            images = page.eval_on_selector_all("img", "els => els.map(e => [e.getAttribute('src'), e.complete, "
                                                      "e.naturalWidth])")
            assert images, "the report shows no image"
            assert all(complete and width > 0 for _, complete, width in images), images

            listed = page.eval_on_selector_all("#summary a code", "els => els.map(e => e.textContent)")
            assert listed == ids

            # language switch: English first, Chinese after one click, English again after another
            assert page.locator("#summary tr:nth-child(2) .badge .en").is_visible()
            assert not page.locator("#summary tr:nth-child(2) .badge .zh").is_visible()
            page.click("#lang-switch")
            assert page.get_attribute("html", "data-lang") == "zh"
            assert page.get_attribute("html", "lang") == "zh-CN"
            badge = page.locator("#summary tr:nth-child(2) .badge .zh")
            assert badge.is_visible() and badge.text_content() == "支持"
            assert not page.locator("#summary tr:nth-child(2) .badge .en").is_visible()
            assert page.locator("#lang-switch .zh").text_content() == "English"
            page.click("#lang-switch")
            assert page.get_attribute("html", "data-lang") == "en"
            assert page.locator("#summary tr:nth-child(2) .badge .en").is_visible()
            # the explanations follow the switch too (their own display rule must not beat the hiding one)
            assert page.locator("#summary tr:nth-child(2) .expl.en").is_visible()
            assert not page.locator("#summary tr:nth-child(2) .expl.zh").is_visible()
            assert not problems, problems
        finally:
            browser.close()


def test_report_layout_in_chromium(served_report):
    """Folded per-seed tables open on click, nothing overflows sideways (wide or phone-sized), print hides the
    contents and unfolds every section but the raw JSON, and folds them back after."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="needs the playwright Python package")
    url, _ = served_report
    overflow = "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.goto(url, wait_until="load")
            assert page.locator("#toc").is_visible() and page.evaluate(overflow) <= 0
            seeds = page.locator('[id="q01.fake-shifted"] table.seeds')
            assert not seeds.is_visible()
            page.click('[id="q01.fake-shifted"] details summary')
            assert seeds.is_visible()
            assert page.locator('[id="q01.fake-shifted"] figure a img').is_visible()
            page.set_viewport_size({"width": 380, "height": 800})
            assert page.evaluate(overflow) <= 0
            page.emulate_media(media="print")
            assert not page.locator("#toc").is_visible() and not page.locator("#lang-switch").is_visible()
            page.evaluate("window.dispatchEvent(new Event('beforeprint'))")
            assert page.evaluate("Array.from(document.querySelectorAll('details:not(.json)')).every(d => d.open)")
            assert not page.locator("details.json").first.is_visible()  # the raw JSON is not printed
            page.evaluate("window.dispatchEvent(new Event('afterprint'))")
            assert page.evaluate("document.querySelectorAll('details[open]').length") == 1  # the one opened by hand
        finally:
            browser.close()
