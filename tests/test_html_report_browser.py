"""``llmx report`` pages in a real headless Chromium (DevTools protocol over a pipe): the page
runs without JS errors, its own self-check finds every highlight equal to text[start:end],
clicks and filters work, and a screenshot is taken. Slow: each test starts a browser."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from _chromium import BINARY, Browser
from test_html_report import HOSTILE, SEEDS, _metric, _result, check_spans, cli

from llmx import extract
from llmx.output import write_results

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(BINARY is None, reason="no chromium on PATH (apt-get install chromium)"),
]


@pytest.fixture
def browser() -> Iterator[Browser]:
    b = Browser()
    try:
        yield b
    finally:
        b.close()


def state(b: Browser) -> dict:
    return b.js(
        "({status: document.getElementById('js-status').getAttribute('data-state'),"
        " text: document.getElementById('js-status').textContent,"
        " checked: +document.getElementById('selfcheck').getAttribute('data-checked'),"
        " bad: +document.getElementById('selfcheck').getAttribute('data-mismatches'),"
        " detail: document.getElementById('selfcheck').textContent})"
    )


def test_seeds_page_in_chromium(browser: Browser, tmp_path: Path) -> None:
    run, out = tmp_path / "run.jsonl", tmp_path / "report.html"
    lost = _result("lost", str(tmp_path / "gone.txt"), "培训5人。", metrics=[])  # text not found
    write_results([*extract([SEEDS], backend="rules", task="cooperation"), lost], run)
    assert cli("report", str(run), "--inputs", str(SEEDS), "-o", str(out))[0] == 0
    records = sum(
        len(r.get("programmes", [])) + len(r.get("metrics", []))
        for r in map(json.loads, run.read_text("utf-8").splitlines())
    )
    browser.open(out.as_uri())
    s = state(browser)
    assert browser.errors() == [] and s["status"] == "ok", (browser.errors(), s)
    assert s["checked"] == 2 * records and s["bad"] == 0, s
    # the page's fonts draw Chinese (a CJK font is installed and used)
    assert browser.js("document.fonts.check('16px \"WenQuanYi Micro Hei\"', '培训')")

    # click a record: its highlights flash; click a highlight: its record flashes
    flashed = browser.js(
        "(() => { document.querySelector('#d0 li.rec a.go').click();"
        " return [...document.querySelectorAll('#d0 mark.flash')]"
        "   .map(m => m.dataset.a + '|' + m.dataset.e); })()"
    )
    key = browser.js("document.querySelector('#d0 li.rec').dataset.key")
    assert flashed and all(key in f.replace("|", " ").split() for f in flashed)
    target = browser.js(
        "(() => { const m = document.querySelector('#d1 mark.hl.a'); m.click();"
        " const r = document.querySelector('#d1 li.rec.flash');"
        " return [m.dataset.a.split(' ')[0], r && r.dataset.key]; })()"
    )
    assert target[0] == target[1]

    # a record's fields are drawn when opened
    cells = browser.js(
        "(() => { const d = document.querySelector('#d0 li.rec[data-kind=metrics] details');"
        " d.open = true; return new Promise(ok => setTimeout(() => ok("
        " [...d.querySelectorAll('th')].map(th => th.textContent)), 100)); })()"
    )
    assert "value_text" in cells and "span" in cells and "evidence" not in cells

    # filter out a kind: its records hide and highlights only its records had go dark
    hidden = browser.js(
        "(() => { const box = document.querySelector('input[data-filter=kind][value=metrics]');"
        " box.click();"
        " const recs = [...document.querySelectorAll('li.rec[data-kind=metrics]')];"
        " const lit = [...document.querySelectorAll('mark.hl:not(.off)')]"
        "   .map(m => m.dataset.a + ' ' + m.dataset.e);"
        " return {hidden: recs.every(r => r.hidden), n: recs.length, lit: lit}; })()"
    )
    assert hidden["n"] and hidden["hidden"]
    programmes = browser.js("document.querySelector('input[data-filter=kind]').value")
    assert programmes == "programmes"
    assert all(any(k.startswith("0_") for k in keys.split()) for keys in hidden["lit"])

    # document status filter hides the other documents and their index rows
    shown = browser.js(
        "(() => { const s = document.querySelector('select[data-filter=text]');"
        " s.value = 'missing'; s.dispatchEvent(new Event('change'));"
        " return document.querySelectorAll('article.doc:not(.hidden-doc)').length; })()"
    )
    assert shown == 1
    rows = browser.js("document.querySelectorAll('table.index tbody tr:not([hidden])').length")
    assert rows == 1
    assert browser.errors() == []


def test_hostile_page_in_chromium(browser: Browser, tmp_path: Path) -> None:
    text = HOSTILE
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"id": "a</script>\ud800", "text": text}) + "\n", encoding="utf-8")
    recs = [
        _metric(text, "培训320余人次", "320余人次"),
        _metric(text, "𠀀字和😀表情共5人", "5人"),
        _metric(text, "</script><script>alert(1)</script>", "<script>"),
        _metric(text, "第二行\r培训", "\r培"),
    ]
    run, out = tmp_path / "run.jsonl", tmp_path / "r.html"
    write_results([_result("a</script>\ud800", f"{src}:1", text, metrics=recs)], run)
    assert cli("report", str(run), "-o", str(out))[0] == 0
    assert check_spans(out.read_text("utf-8"), {"d0": text}) == 8
    browser.open(out.as_uri())
    s = state(browser)
    assert browser.errors() == [] and s["status"] == "ok" and s["checked"] == 8 and s["bad"] == 0, s
    # the DOM holds the text character for character (CR kept, astral characters whole)
    dom = browser.js("document.querySelector('#d0 .text').textContent")
    assert dom == text.replace("\x00", "\ufffd").replace("\ud800", "\ufffd")
    assert browser.js("document.querySelectorAll('script:not([type])').length") == 1
    assert browser.js("JSON.parse(document.querySelector('script.fields').textContent).length") == 4


def test_big_run_and_big_document_in_chromium(browser: Browser, tmp_path: Path) -> None:
    """2000 documents and one 1 MB document: generated, opened, self-checked in bounded time."""
    unit = "广州市帮扶黔南州，培训320余人次。"
    rows, results = [], []
    for n in range(2000):
        text = f"第{n}篇。" + unit * 40
        rows.append({"id": f"doc{n}", "text": text, "url": f"https://example.org/{n}"})
        results.append(
            _result(
                f"doc{n}",
                f"in.jsonl:{n + 1}",
                text,
                metrics=[_metric(text, "培训320余人次", "320余人次")],
            )
        )
    big = unit * (1_000_000 // len(unit))
    recs = [
        _metric(big, "培训320余人次", "320余人次", at=i) for i in (0, len(big) // 2, len(big) - 20)
    ]
    rows.append({"id": "big", "text": big})
    results.append(_result("big", f"in.jsonl:{len(rows)}", big, metrics=recs))
    src = tmp_path / "in.jsonl"
    src.write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8"
    )
    run, out = tmp_path / "run.jsonl", tmp_path / "r.html"
    write_results(results, run)
    started = time.perf_counter()
    code, said = cli("report", str(run), "--inputs", str(src), "-o", str(out))
    elapsed = time.perf_counter() - started
    assert code == 0, said
    size = out.stat().st_size
    print(f"\n2001 documents (one of 1 MB): {size / 1e6:.1f} MB written in {elapsed:.1f} s")
    assert elapsed < 60 and size < 40e6
    started = time.perf_counter()
    browser.open(out.as_uri(), timeout=120)
    s = state(browser)
    print(f"opened and self-checked in Chromium in {time.perf_counter() - started:.1f} s")
    assert browser.errors() == [] and s["status"] == "ok" and s["checked"] == 2 * 2003, s


def test_screenshot(browser: Browser, tmp_path: Path) -> None:
    run, out = tmp_path / "run.jsonl", tmp_path / "report.html"
    write_results(extract([SEEDS], backend="rules", task="cooperation"), run)
    assert cli("report", str(run), "--inputs", str(SEEDS), "-o", str(out))[0] == 0
    browser.open(out.as_uri())
    png = tmp_path / "report.png"
    browser.screenshot(str(png))
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000
