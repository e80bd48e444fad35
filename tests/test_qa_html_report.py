"""``payer-app scan ... --html FILE`` opened in real headless Chromium (Debian's chromium +
chromium-driver, driven by Selenium): every card present, failures first, pictures loaded from the
page itself with no network, filters work, and text from a QR is never markup.

Set ``QA_REPORT_SCREENSHOT=docs/screenshots/qa_report.png`` to also save a screenshot of the page.
"""

from __future__ import annotations

import os
import shutil

import pytest

from payer_app.cli import main

webdriver = pytest.importorskip("selenium.webdriver")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(
    not (CHROMIUM and CHROMEDRIVER),
    reason="needs Debian's chromium and chromium-driver (apt-get install chromium chromium-driver)",
)


@pytest.fixture
def browser():
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.chrome.service import Service

    options = Options()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1280,1600",
                # no network at all: every host name fails, every proxied request goes nowhere
                "--host-resolver-rules=MAP * ~NOTFOUND", "--proxy-server=http://127.0.0.1:9",
                "--disable-background-networking", "--no-first-run"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def _report(qa_mixed_folder, tmp_path, capsys):
    report = tmp_path / "report.html"
    code = main(["scan", str(qa_mixed_folder), "--expect", str(tmp_path / "expect.json"), "--html", str(report)])
    capsys.readouterr()
    assert code == 1  # the blank picture and the broken file fail
    return report


def test_report_in_chromium(qa_mixed_folder, tmp_path, capsys, browser):
    report = _report(qa_mixed_folder, tmp_path, capsys)
    browser.get(report.as_uri())
    browser.implicitly_wait(0)
    by_css = "css selector"
    cards = browser.find_elements(by_css, "article.card")
    names = [c.find_element(by_css, ".file").text.rsplit("/", 1)[-1] for c in cards]
    statuses = [c.get_attribute("data-status") for c in cards]
    # every file has a card, failures first
    assert sorted(names) == ["a-bill.png", "b-hostile.png", "c-blank.png", "d-broken.png"]
    assert statuses == ["unreadable", "not-found", "pass", "pass"]
    # every picture is inside the page and actually decoded by the browser
    images = browser.find_elements(by_css, "img")
    assert len(images) == 3  # three pictures with thumbnails; crops only for failures (the blank has no code)
    for img in images:
        assert img.get_attribute("src").startswith("data:image/")
        assert browser.execute_script("return arguments[0].complete && arguments[0].naturalWidth > 0", img)
    # nothing was fetched: no resource entries, and the page names no outside URL
    assert browser.execute_script("return performance.getEntriesByType('resource').length") == 0
    source = report.read_text(encoding="utf-8")
    assert "http://" not in source and "https://" not in source and "src=\"//" not in source
    # the QR holding markup is shown as text: no script ran, no element was injected
    assert browser.title != "pwned" and browser.title != "1"
    assert len(browser.find_elements(by_css, "script")) == 1  # the report's own filter script
    assert not browser.find_elements(by_css, "[onerror]")
    hostile_card = cards[names.index("b-hostile.png")]
    decoded = hostile_card.find_element(by_css, "pre.decoded").get_attribute("textContent")
    assert '<script>document.title="pwned"</script>' in decoded
    assert "\\x1b[31m" in decoded  # the terminal escape is shown, not passed through
    # parsed fields and findings of the bill, and the expectation result
    bill_card = cards[names.index("a-bill.png")]
    assert bill_card.find_element(by_css, "table.fields").text
    assert "Result: passed" in bill_card.text and "Expectation" not in bill_card.text
    assert "Result: failed: not-found" in cards[names.index("c-blank.png")].text
    assert "no QR code was read" in cards[names.index("c-blank.png")].text
    assert "Result: could not be read" in cards[names.index("d-broken.png")].text
    # the verdict first: a FAIL banner above everything else, its reasons counted
    banner = browser.find_element(by_css, "body > :first-child")
    assert banner.get_attribute("id") == "verdict" and "banner fail" in banner.get_attribute("class")
    assert banner.text == "FAIL: 1 failed, 1 could not be read (2 of 4 file(s) passed)"
    # the inline style is allowed by the page's CSP (its hash matches) and applied
    assert browser.execute_script("return getComputedStyle(arguments[0]).borderLeftWidth", cards[0]) == "6px"
    # the summary counts and per-decoder timings
    assert browser.find_element(by_css, "#total").text == "4"
    assert "zxing" in browser.find_element(by_css, "#timings").text
    # filters: only failures, then all again
    assert browser.find_element(by_css, "#shown").text == "4"
    browser.find_element(by_css, "#only-failures").click()
    visible_statuses = [c.get_attribute("data-status") for c in cards if c.is_displayed()]
    assert visible_statuses == ["unreadable", "not-found"]
    assert browser.find_element(by_css, "#shown").text == "2"
    browser.find_element(by_css, "#show-all").click()
    assert all(c.is_displayed() for c in cards)
    browser.find_element(by_css, 'input[data-filter="pass"]').click()  # untick "pass"
    assert [c.get_attribute("data-status") for c in cards if c.is_displayed()] == ["unreadable", "not-found"]
    browser.find_element(by_css, "#show-all").click()
    shot = os.environ.get("QA_REPORT_SCREENSHOT")
    if shot:
        browser.set_window_size(1280, 1500)
        browser.save_screenshot(shot)


def test_report_text_is_escaped_in_the_file(qa_mixed_folder, tmp_path, capsys):
    """Belt and braces without a browser: the raw markup from the QR never appears unescaped."""
    source = _report(qa_mixed_folder, tmp_path, capsys).read_text(encoding="utf-8")
    assert "<script>document" not in source and "<img src=x" not in source
    assert "&lt;script&gt;document.title=&quot;pwned&quot;&lt;/script&gt;" in source
    assert "Content-Security-Policy" in source and "default-src &#x27;none&#x27;" in source


def test_big_batches_keep_pictures_for_failures_only_after_the_first_passes(qa_mixed_folder, tmp_path, capsys,
                                                                            monkeypatch):
    import payer_app.qa.batch as batch

    monkeypatch.setattr(batch, "MAX_PASS_PICTURES", 1)
    source = _report(qa_mixed_folder, tmp_path, capsys).read_text(encoding="utf-8")
    # one passing file keeps its thumbnail, the other passing file none; the blank (failed) picture
    # keeps its thumbnail (no crop: no code was found in it)
    assert source.count('class="thumb"') == 2 and source.count('class="crop"') == 0
    assert "pictures left out for 1 passing file(s)" in source


def test_a_500_file_report_stays_under_3_mb(tmp_path, capsys, monkeypatch):
    """30 generated pictures stand for 500: pictures are kept for every failure and the first
    ``MAX_PASS_PICTURES`` passing files, so the cap is scaled by 30/500 too; the page's bytes per
    file times 500 must stay under 3 MB, and every picture is a thumbnail, not the picture. (30 make a
    page of about 100 KB, 1.7 MB for 500; with ``THUMB_SIDE`` doubled the estimate is 3.7 MB and fails.)"""
    import base64
    import re

    import cv2
    import numpy as np

    import payer_app.qa.batch as batch
    from payer_app.studio.corpus import generate_corpus

    count, whole = 30, 500
    corpus = tmp_path / "corpus"
    generate_corpus(corpus, count, seed=1)
    monkeypatch.setattr(batch, "MAX_PASS_PICTURES", batch.MAX_PASS_PICTURES * count // whole)
    report = tmp_path / "report.html"
    main(["scan", str(corpus), "--expect", str(corpus / "manifest.json"), "--html", str(report)])
    capsys.readouterr()
    size = report.stat().st_size
    assert size / count * whole < 3_000_000, f"{size} bytes for {count} files"
    thumbs = re.findall(r'class="thumb"[^>]*src="data:image/jpeg;base64,([^"]+)"', report.read_text(encoding="utf-8"))
    assert len(thumbs) >= batch.MAX_PASS_PICTURES
    for data in thumbs:
        picture = cv2.imdecode(np.frombuffer(base64.b64decode(data), np.uint8), cv2.IMREAD_COLOR)
        assert max(picture.shape[:2]) <= batch.THUMB_SIDE
