"""The API as users run it: a real `rag serve` process on 127.0.0.1.

Covers the socket-level behaviour TestClient cannot (SSE over a real connection,
concurrent clients), the web page in headless Chromium, and a schemathesis run
against the served OpenAPI schema.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from eval.servers import rag_serve, running_server
from tests.conftest import NEWER_SEED, OLDER_SEED
from tests.test_answer import CONFLICT_Q, WOUNDED_Q

pytestmark = pytest.mark.integration
RAG = Path(sys.executable).with_name("rag")
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`rag serve` with the real MiniLM embedder and extractive answers, seeds ingested."""
    tmp = tmp_path_factory.mktemp("serve")
    command, env, url = rag_serve(tmp, RAG_LLM="extractive")
    with running_server(command, f"{url}/ready", tmp / "serve.log", env=env):
        yield url


def test_ask_over_a_real_socket(server: str) -> None:
    answer = httpx.post(f"{server}/ask", json={"question": CONFLICT_Q}, timeout=60).json()
    assert answer["backend"]["embeddings"] == "sentence-transformers/all-MiniLM-L6-v2"
    assert {c["source"] for c in answer["citations"]} == {OLDER_SEED, NEWER_SEED}
    assert answer["conflicts"]


def test_stream_over_a_real_socket(server: str) -> None:
    kinds = []
    with httpx.stream("POST", f"{server}/ask", json={"question": WOUNDED_Q, "stream": True},
                      timeout=60) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        for line in response.iter_lines():
            if line.startswith("event: "):
                kinds.append(line[7:])
            elif line.startswith("data: ") and kinds[-1] == "answer":
                final = json.loads(line[6:])
    assert kinds[0] == "token" and kinds[-1] == "answer"
    assert "50" in final["answer"] and final["citations"][0]["source"] == NEWER_SEED


def test_many_clients_at_once(server: str) -> None:
    def ask(_: int) -> int:
        return httpx.post(f"{server}/ask", json={"question": WOUNDED_Q}, timeout=120).status_code

    with ThreadPoolExecutor(16) as pool:
        assert set(pool.map(ask, range(32))) == {200}
    assert httpx.get(f"{server}/health").json()["status"] == "ok"


def test_concurrent_upload_and_delete_of_one_source(server: str) -> None:
    bodies = [b"Harvest report\n\nThe wheat harvest reached a record of 12 million tonnes.\n",
              b"Harvest report\n\nThe wheat harvest reached 13 million tonnes, a record.\n"
              b"\nLate rain helped the northern provinces.\n"]

    def act(i: int) -> int:
        if i % 3 == 2:
            return httpx.delete(f"{server}/documents/race.txt", timeout=60).status_code
        files = [("files", ("race.txt", bodies[i % 2]))]
        return httpx.post(f"{server}/documents", files=files, timeout=60).status_code

    with ThreadPoolExecutor(6) as pool:
        assert set(pool.map(act, range(24))) <= {200, 404}
    listed = {d["source"]: d for d in httpx.get(f"{server}/documents").json()}
    if "race.txt" in listed:
        document = httpx.get(f"{server}/documents/race.txt").json()
        assert document["text"] and document["chunks"] == listed["race.txt"]["chunks"]
        hits = httpx.post(f"{server}/search", json={"query": "wheat harvest", "k": 5}).json()
        assert all(h["text"] in document["text"] for h in hits["hits"]
                   if h["source"] == "race.txt")
    assert {NEWER_SEED, OLDER_SEED} <= set(listed)
    # The race may leave the source in place; later tests on this server expect the seeds only.
    httpx.delete(f"{server}/documents/race.txt", timeout=60)


@pytest.fixture
def browser() -> Iterator[Any]:
    """Headless Chromium through chromedriver."""
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        message = "needs Debian's chromium and chromium-driver (.ci/run installs them)"
        if os.environ.get("RAG_TEST_REQUIRE_BROWSER"):
            pytest.fail(message)
        pytest.skip(message)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--window-size=1280,900",
                 "--force-device-scale-factor=1"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def test_web_page_answers_and_opens_a_cited_passage(server: str, browser: Any) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(f"{server}/")
    WebDriverWait(browser, 20).until(
        lambda b: len(b.find_elements(By.CSS_SELECTOR, "#documents li")) >= 2)
    browser.find_element(By.ID, "question").send_keys(CONFLICT_Q)
    browser.find_element(By.ID, "ask").click()
    WebDriverWait(browser, 60).until(
        lambda b: b.find_elements(By.CSS_SELECTOR, "#citations button.citation"))
    assert "joint operations" in browser.find_element(By.ID, "answer").text
    conflict = browser.find_element(By.ID, "conflict")
    assert conflict.is_displayed()
    assert "A later report updates an earlier one" in conflict.text
    sides = [li.text for li in conflict.find_elements(By.CSS_SELECTOR, "li.conflict-side")]
    assert len(sides) == 2 and "2020-01-16" in sides[0] and "2020-01-30" in sides[1]
    assert "denied reports" in sides[0] and sides[1].endswith("(most recent)")

    older = next(button for button in
                 browser.find_elements(By.CSS_SELECTOR, "#citations button.citation")
                 if button.text == "Iraq denies resuming joint ops with US-led coalition")
    older.click()
    WebDriverWait(browser, 20).until(
        lambda b: b.find_element(By.CSS_SELECTOR, "#passage-text mark").is_displayed())
    meta = browser.find_element(By.ID, "passage-meta").text
    assert "SpaceWar.com (AFP)" in meta and "2020-01-16" in meta
    highlighted = browser.find_element(By.CSS_SELECTOR, "#passage-text mark").text
    assert "denied reports" in highlighted
    browser.find_element(By.CSS_SELECTOR, "#passage button.close").click()

    # Tick both articles in the list, then summarize them as one story.
    summarize = browser.find_element(By.ID, "summarize")
    assert not summarize.is_enabled()
    for box in browser.find_elements(By.CSS_SELECTOR, "#documents input.pick"):
        box.click()
    summarize.click()
    WebDriverWait(browser, 60).until(
        lambda b: not b.find_element(By.ID, "answer").text.startswith("Summarizing"))
    titles = {b.text for b in
              browser.find_elements(By.CSS_SELECTOR, "#citations button.citation")}
    assert titles >= {"Iraq denies resuming joint ops with US-led coalition"}
    assert len(titles) == 2 and "2020-01-16" in browser.find_element(By.ID, "answer").text


def test_web_page_timeline_of_a_topic(server: str, browser: Any, tmp_path: Path) -> None:
    """The seeds' topic as a timeline: both reports in date order with the update marked
    between them, checked in the DOM and in a screenshot of the view."""
    from PIL import Image
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(f"{server}/")
    browser.find_element(By.ID, "topic").send_keys(
        "joint operations between Iraq and the US-led coalition")
    browser.find_element(By.ID, "timeline-button").click()
    WebDriverWait(browser, 90).until(
        lambda b: len(b.find_elements(By.CSS_SELECTOR, "#timeline li.report")) >= 2)
    view = browser.find_element(By.ID, "timeline-view")
    browser.execute_script("arguments[0].scrollIntoView()", view)
    reports = browser.find_elements(By.CSS_SELECTOR, "#timeline li.report")
    dates = [r.get_attribute("data-published") for r in reports]
    assert dates == ["2020-01-16", "2020-01-30"]
    assert [r.get_attribute("data-source") for r in reports] == [OLDER_SEED, NEWER_SEED]
    [mark] = browser.find_elements(By.CSS_SELECTOR, "#timeline li.mark")
    assert "mark-update" in mark.get_attribute("class")
    assert "A later report updates an earlier one" in mark.text
    tops = [reports[0].rect["y"], mark.rect["y"], reports[1].rect["y"]]
    assert tops == sorted(tops) and len(set(tops)) == 3
    # Each report carries the summary sentences that cite it, markers opening the passage.
    assert "denied" in reports[0].text
    assert reports[1].find_elements(By.CSS_SELECTOR, "ul.sentences button.marker")

    shot = tmp_path / "timeline.png"
    assert view.screenshot(str(shot))
    image = Image.open(shot).convert("RGB")
    origin = view.rect

    def rows_with(colour: tuple[int, int, int]) -> list[int]:
        pixels = image.load()
        return [y for y in range(image.height)
                if any(pixels[x, y] == colour for x in range(0, image.width, 2))]

    dots = rows_with((0x25, 0x57, 0xD6))  # the report markers (and links) in accent blue
    marked = rows_with((0xFF, 0xF6, 0xE0))  # the update mark's background
    older_y, mark_y, newer_y = (round(t - origin["y"]) for t in tops)
    assert any(older_y <= y < mark_y for y in dots) and any(y >= newer_y for y in dots)
    assert marked and mark_y - 2 <= min(marked) and max(marked) < newer_y + 2


def test_web_page_shows_a_failing_feed_in_words(server: str, browser: Any) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(f"{server}/")
    browser.find_element(By.ID, "feed-url").send_keys("http://feeds.invalid/rss.xml")
    browser.find_element(By.CSS_SELECTOR, "#feed-form button").click()
    WebDriverWait(browser, 30).until(
        lambda b: b.find_elements(By.CSS_SELECTOR, "#feeds .feed-error"))
    error = browser.find_element(By.CSS_SELECTOR, "#feeds .feed-error").text
    assert error.startswith("Last poll failed:") and "cannot resolve feeds.invalid" in error
    assert httpx.get(f"{server}/feeds").json()[0]["last_error"]
    private = httpx.post(f"{server}/feeds", json={"url": f"{server}/feed.xml"})
    assert private.status_code == 403


def test_schemathesis_finds_no_server_errors(tmp_path: Path) -> None:
    """Fuzz every operation of /openapi.json on a scratch server (it uploads and deletes)."""
    command, env, url = rag_serve(tmp_path, RAG_LLM="extractive", RAG_EMBEDDINGS="hash")
    with running_server(command, f"{url}/ready", tmp_path / "serve.log", env=env):
        run = subprocess.run(
            [str(RAG.with_name("schemathesis")), "run", f"{url}/openapi.json",
             "--checks", "not_a_server_error,status_code_conformance,"
             "response_schema_conformance,content_type_conformance",
             "--max-examples", "25", "--seed", "1", "--request-timeout", "30"],
            capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert run.returncode == 0, run.stdout[-4000:]
