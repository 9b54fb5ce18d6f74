"""The web page, end to end in a real headless Chromium (Debian's package, driven by Playwright).

Skips when Playwright or a Chromium binary is missing (``scripts/install_browser.sh``
installs Debian's chromium where it can).
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time

import pytest

from tweetlab.models import create
from tweetlab.serving import ServeSettings, create_app

from .conftest import make_corpus

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
CHROMIUM = os.environ.get("TWEETLAB_CHROMIUM") or shutil.which("chromium") or \
    shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no Chromium binary (apt-get install chromium)")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    import uvicorn

    root = tmp_path_factory.mktemp("web")
    texts, labels = make_corpus(200)
    path = create("tfidf").fit(texts, labels).save(root / "sentiment")
    from .test_ngram import repetitive_account, tiny

    gen = tiny(ngram=6).fit(repetitive_account(200)).save(root / "petro")
    port = free_port()
    config = uvicorn.Config(create_app([path, gen], ServeSettings()), host="127.0.0.1", port=port,
                            log_level="warning")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.time() + 20
    while not srv.started and time.time() < deadline:
        time.sleep(0.05)
    assert srv.started, "uvicorn did not start"
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(10)


@pytest.fixture(scope="module")
def page(server, tmp_path_factory):
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS,
                                    chromium_sandbox=False)
        context = browser.new_context(accept_downloads=True)
        pg = context.new_page()
        pg.goto(server + "/")
        yield pg
        browser.close()


def test_typed_tweets_get_labels_and_probability_bars(page, tmp_path):
    page.wait_for_selector("#model option", state="attached")
    assert page.locator("#model").input_value() == "sentiment"
    page.fill("#texts", "I love this awesome wonderful day\nhate this awful terrible movie")
    page.click("#classify")
    page.wait_for_selector(".prediction >> nth=1")
    labels = page.locator(".prediction .label").all_inner_texts()
    assert labels[0].startswith("positive") and labels[1].startswith("negative")
    assert page.locator(".prediction .bar").count() == 4  # two classes per tweet
    width = page.locator(".prediction .top .fill").first.evaluate("e => e.style.width")
    assert float(width.rstrip("%")) > 50
    page.screenshot(path=str(tmp_path / "page.png"))


def test_tweets_in_a_script_the_model_never_learned_show_a_warning(page):
    page.wait_for_selector("#model option", state="attached")
    page.fill("#texts", "Καλημέρα, τι ωραία μέρα")
    page.click("#classify")
    page.wait_for_selector("#warning:not([hidden])")
    assert "Greek" in page.inner_text("#warning")
    page.fill("#texts", "I love this awesome wonderful day")
    page.click("#classify")
    page.wait_for_selector("#warning", state="hidden")


def test_show_why_shades_the_words_that_decided(page, tmp_path):
    page.wait_for_selector("#model option", state="attached")
    page.check("#explain")
    try:
        page.fill("#texts", "the movie was awesome today")
        page.click("#classify")
        page.wait_for_selector(".prediction .why span")
        assert page.locator(".prediction .why").inner_text() == "the movie was awesome today"
        assert page.locator(".prediction .label").inner_text().startswith("positive")
        top = page.locator(".why span.for", has_text="awesome")
        assert "bits for positive" in top.get_attribute("title")
        assert "rgba(18, 183, 106" in top.evaluate("e => getComputedStyle(e).backgroundColor")
        assert page.locator(".prediction .bar").count() == 2  # the probability bars stay
        page.screenshot(path=str(tmp_path / "why.png"))
    finally:
        page.uncheck("#explain")


def test_an_error_is_shown_not_thrown(page):
    page.fill("#texts", "x" * 3000)
    page.click("#classify")
    page.wait_for_selector("#status.error")
    assert "limit" in page.inner_text("#status")


def test_csv_upload_gives_a_scored_download(page, tmp_path):
    src = tmp_path / "tweets.csv"
    src.write_text("id,text\n1,love this awesome day\n2,hate the worst movie\n", encoding="utf-8")
    page.set_input_files("#csv", str(src))
    page.click("#score-csv")
    page.wait_for_selector("#download:not([hidden])", state="attached")
    assert "2 rows scored" in page.inner_text("#csv-status")
    with page.expect_download() as info:
        page.click("#download")
    scored = (tmp_path / "scored.csv")
    info.value.save_as(scored)
    lines = scored.read_text(encoding="utf-8").strip().splitlines()
    assert lines[0].startswith("id,text,label,confidence")
    assert ",positive," in lines[1] and ",negative," in lines[2]


def test_the_generator_panel_writes_tweets_from_the_seed_phrase(page, tmp_path):
    page.wait_for_selector("#gen-model option", state="attached")
    assert page.locator("#gen-model").input_value() == "petro"
    assert page.locator("#model option").all_inner_texts() == ["sentiment (tfidf)"]
    page.fill("#prompt", "el pueblo")
    page.fill("#gen-n", "2")
    page.click("#generate")
    page.wait_for_selector(".generated >> nth=1")
    tweets = page.locator(".generated .tweet").all_inner_texts()
    assert len(tweets) == 2 and all(t.startswith("el pueblo") for t in tweets)
    assert "2 tweet(s) by petro" in page.inner_text("#gen-status")
    page.screenshot(path=str(tmp_path / "generate.png"), full_page=True)
