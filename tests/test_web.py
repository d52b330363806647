"""Articles from the web: pages fetched by address and feeds polled, against a local site."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api import create_app
from eval.newssite import NewsSite, news_site, story
from rag.errors import FetchError, ForbiddenAddressError
from rag.knowledge_base import KnowledgeBase
from rag.settings import Settings
from rag.webpage import source_name
from tests.conftest import NEWER_SEED, OLDER_SEED, SEEDS

NEWER_PAGE = f"/world/{Path(NEWER_SEED).stem}.html"
OLDER_PAGE = f"/world/{Path(OLDER_SEED).stem}.html"


@pytest.fixture
def site() -> Iterator[NewsSite]:
    with news_site([SEEDS / NEWER_SEED, SEEDS / OLDER_SEED]) as running:
        yield running


@pytest.fixture
def web_kb(make_settings: Callable[..., Settings]) -> KnowledgeBase:
    return KnowledgeBase(make_settings(fetch={"allow_private": True, "timeout_s": 1.5,
                                              "max_bytes": 1_000_000}))


def test_a_page_is_kept_as_a_snapshot_with_its_metadata(web_kb: KnowledgeBase,
                                                       site: NewsSite) -> None:
    url = site.url + OLDER_PAGE
    report, sources = web_kb.add_urls([url])

    assert (report.added, report.failed, sources) == (1, [], [source_name(url)])
    [record] = web_kb.documents()
    assert (record.source, record.url, record.published) == (sources[0], url, "2020-01-16")
    assert record.title == "Iraq denies resuming joint ops with US-led coalition"
    assert record.outlet == story(SEEDS / OLDER_SEED)[2]  # the page's og:site_name
    document = web_kb.document(record.source)
    assert document.text is not None and "Abdulkarim Khalaf" in document.text
    for furniture in ("Most read", "newsletter", "All rights reserved", "Subscribe"):
        assert furniture not in document.text
    # Offsets refer to the stored snapshot: every chunk is exactly its slice.
    snapshot = Path(record.path).read_text()
    for chunk in web_kb.store.chunks({"source": record.source}):
        assert snapshot[chunk.start:chunk.end] == chunk.text and chunk.url == url
    hit = web_kb.search("Abdulkarim Khalaf authorisation", k=1)[0]
    assert hit.chunk.source == record.source and hit.as_dict()["url"] == url


def test_each_bad_address_fails_alone(web_kb: KnowledgeBase, site: NewsSite) -> None:
    bad = {"/missing.html": "404", "/slow.html": "within 1.5 s", "/photo.jpg": "image/jpeg",
           "/loop": "redirects", "/huge.html": "1,000,000-byte limit"}
    good = site.url + "/news/harbour-spill.html"
    report, sources = web_kb.add_urls([site.url + path for path in bad] + [good])

    assert (report.added, sources) == (1, [source_name(good)])
    errors = {failure["path"].removeprefix(site.url): failure["error"]
              for failure in report.failed}
    assert errors.keys() == bad.keys()
    for path, words in bad.items():
        assert words in errors[path], errors[path]
    assert [r.source for r in web_kb.documents()] == [source_name(good)]


def test_fetching_again_replaces_a_changed_article(web_kb: KnowledgeBase,
                                                   site: NewsSite) -> None:
    url = site.page("/live.html", "Harbour reopens", "2021-05-03", "Port Wire",
                    ["The harbour stayed closed on Monday while crews cleaned the oil."])
    web_kb.add_urls([url])
    site.page("/live.html", "Harbour reopens", "2021-05-03", "Port Wire",
              ["The harbour reopened on Monday evening after crews cleaned the oil."])
    report, _ = web_kb.add_urls([url])

    assert (report.updated, report.added) == (1, 0)
    [chunk] = web_kb.store.chunks({"source": source_name(url)})
    assert "reopened on Monday evening" in chunk.text and "stayed closed" not in chunk.text


def test_private_addresses_are_refused_by_default(make_settings: Callable[..., Settings],
                                                  site: NewsSite) -> None:
    kb = KnowledgeBase(make_settings())
    for url in (site.url + OLDER_PAGE, "http://10.1.2.3/a.html", "http://169.254.169.254/",
                "http://[::1]:8080/", "file:///etc/passwd"):
        with pytest.raises(ForbiddenAddressError):
            kb.fetch_snapshot(url)
    with TestClient(create_app(kb.settings, kb)) as client:
        reply = client.post("/documents/url", json={"url": site.url + OLDER_PAGE})
        assert reply.status_code == 403 and "RAG_FETCH_ALLOW_PRIVATE" in reply.json()["detail"]
        assert client.post("/feeds", json={"url": site.url + "/rss.xml"}).status_code == 403
        assert client.post("/documents/url", json={"url": "ftp://x.org/a"}).status_code == 422
    assert site.seen == [] and kb.documents() == []


def test_url_over_http(web_kb: KnowledgeBase, site: NewsSite) -> None:
    with TestClient(create_app(web_kb.settings, web_kb)) as client:
        reply = client.post("/documents/url", json={"url": site.url + NEWER_PAGE})
        assert reply.status_code == 200, reply.text
        assert reply.json()["sources"] == [source_name(site.url + NEWER_PAGE)]
        listed = client.get("/documents").json()
        assert [d["url"] for d in listed] == [site.url + NEWER_PAGE]
        missing = client.post("/documents/url", json={"url": site.url + "/missing.html"})
        assert missing.status_code == 422 and "404" in missing.json()["detail"]


# -- feeds ------------------------------------------------------------------------------------

def test_a_feed_polled_twice_adds_nothing_the_second_time(web_kb: KnowledgeBase,
                                                          site: NewsSite) -> None:
    feed = site.publish("/rss.xml", [("Denial", OLDER_PAGE, "2020-01-16"),
                                     ("Resumed", NEWER_PAGE, "2020-01-30")])
    web_kb.add_feed(feed)
    [first] = web_kb.poll_feeds()
    assert (first.status, first.entries, first.added, first.failed) == ("polled", 2, 2, [])
    pages_fetched = len(site.requests_for(OLDER_PAGE))

    [second] = web_kb.poll_feeds()

    assert (second.status, second.added, second.updated) == ("not modified", 0, 0)
    conditional = site.requests_for("/rss.xml")[-1]
    assert conditional.headers["if-none-match"] == site.replies["/rss.xml"].headers["ETag"]
    assert len(site.requests_for(OLDER_PAGE)) == pages_fetched
    assert {r.url for r in web_kb.documents()} == {site.url + OLDER_PAGE, site.url + NEWER_PAGE}
    [state] = web_kb.feeds.all()
    assert (state.polls, state.added, state.title, state.last_error) == (2, 2, "Test wire", None)


def test_an_edited_entry_replaces_its_chunks(web_kb: KnowledgeBase, site: NewsSite) -> None:
    page = site.page("/news/toll.html", "Flood toll", "2021-06-01", "River News",
                     ["The flood killed 12 people in the valley, officials said."])
    feed = site.publish("/atom.xml", [("Flood toll", "/news/toll.html", "2021-06-01"),
                                      ("Frost", "/news/orchard-frost.html", "2021-04-20")],
                        atom=True)
    web_kb.add_feed(feed)
    assert web_kb.poll_feeds()[0].added == 2
    site.page("/news/toll.html", "Flood toll rises", "2021-06-02", "River News",
              ["The death toll from the flood rose to 30, officials said on Wednesday."])
    site.publish("/atom.xml", [("Flood toll rises", "/news/toll.html", "2021-06-02"),
                               ("Frost", "/news/orchard-frost.html", "2021-04-20")], atom=True)
    frost_fetches = len(site.requests_for("/news/orchard-frost.html"))

    [result] = web_kb.poll_feeds()

    assert (result.status, result.updated, result.added, result.unchanged) == \
        ("polled", 1, 0, 1)
    assert len(site.requests_for("/news/orchard-frost.html")) == frost_fetches
    chunks = web_kb.store.chunks({"source": source_name(page)})
    assert [c.text for c in chunks] == [
        "The death toll from the flood rose to 30, officials said on Wednesday."]
    assert web_kb.search("flood killed 12", k=3)[0].chunk.text.startswith("The death toll")


def test_one_failing_feed_or_page_does_not_stop_the_others(web_kb: KnowledgeBase,
                                                           site: NewsSite) -> None:
    good = site.publish("/rss.xml", [("Spill", "/news/harbour-spill.html", "2021-05-02"),
                                     ("Gone", "/missing.html", "2021-05-02"),
                                     ("Copy", "/copy/harbour-spill.html", "2021-05-02")])
    site.replies["/copy/harbour-spill.html"] = site.replies["/news/harbour-spill.html"]
    site.replies["/not-a-feed.xml"] = site.replies["/news/orchard-frost.html"]
    for url in (site.url + "/gone.xml", site.url + "/not-a-feed.xml", good):
        web_kb.add_feed(url)

    results = {r.feed.removeprefix(site.url): r for r in web_kb.poll_feeds()}

    assert results["/gone.xml"].status == "failed" and "404" in results["/gone.xml"].error
    assert results["/not-a-feed.xml"].status == "failed"
    polled = results["/rss.xml"]
    assert (polled.status, polled.added, polled.duplicates) == ("polled", 1, 1)
    assert [f["path"] for f in polled.failed] == [site.url + "/missing.html"]
    states = {f.url.removeprefix(site.url): f for f in web_kb.feeds.all()}
    assert "404" in (states["/gone.xml"].last_error or "")
    assert "1 of 3 entries failed" in (states["/rss.xml"].last_error or "")
    # The failed entry is tried again at the next poll; the others are not fetched again.
    site.page("/missing.html", "Found", "2021-05-03", "Port Wire",
              ["The missing report turned up on Monday with new figures."])
    site.publish("/rss.xml", [("Spill", "/news/harbour-spill.html", "2021-05-02"),
                              ("Gone", "/missing.html", "2021-05-02"),
                              ("Copy", "/copy/harbour-spill.html", "2021-05-02"),
                              ("More", "/news/orchard-frost.html", "2021-04-20")])
    again = {r.feed.removeprefix(site.url): r for r in web_kb.poll_feeds()}["/rss.xml"]
    assert (again.added, again.unchanged, again.duplicates, again.failed) == (2, 2, 0, [])


def test_feeds_over_the_cli_and_http(web_kb: KnowledgeBase, site: NewsSite,
                                     rag: Callable[..., tuple[int, object, str]],
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    feed = site.publish("/rss.xml", [("Spill", "/news/harbour-spill.html", "2021-05-02")])
    monkeypatch.setenv("RAG_FETCH_ALLOW_PRIVATE", "true")
    code, added, _ = rag("feeds", "add", feed, "--every", "2h", "--json")
    assert code == 0 and added["every_s"] == 7200
    code, polled, _ = rag("feeds", "poll", "--json")
    assert code == 0 and polled[0]["added"] == 1
    code, listed, _ = rag("feeds", "list")
    assert code == 0 and f"#1 {feed}  every 2h" in listed and "added 1" in listed
    code, _, err = rag("feeds", "add", feed, "--every", "10s")
    assert code == 2 and "at most once a minute" in err
    code, fetched, _ = rag("ingest", site.url + "/news/orchard-frost.html", "--json")
    assert code == 0 and fetched["added"] == 1
    code, _, err = rag("ingest", site.url + "/missing.html")
    assert code == 1 and "404" in err

    with TestClient(create_app(web_kb.settings, web_kb)) as client:
        made = client.post("/feeds", json={"url": feed, "every": "15m"})
        assert made.status_code == 200 and made.json()["every_s"] == 900
        assert client.post("/feeds", json={"url": feed, "every": "soon"}).status_code == 422
        # The CLI polled this feed already: the server asks conditionally.
        assert client.post("/feeds/poll").json()[0]["status"] == "not modified"
        assert client.get("/feeds").json()[0]["last_poll"] is not None
        assert client.delete(f"/feeds/{made.json()['id']}").status_code == 200
        assert client.delete("/feeds/99").status_code == 404
        assert client.get("/feeds").json() == []


def test_fetch_errors_are_article_errors() -> None:
    # A fetch failure is a per-item failure like a bad file, never a service failure.
    assert issubclass(FetchError, Exception) and issubclass(ForbiddenAddressError, FetchError)


def test_the_server_polls_due_feeds_in_the_background(web_kb: KnowledgeBase,
                                                      site: NewsSite) -> None:
    from rag.polling import BackgroundPolling

    feed = site.publish("/rss.xml", [("Spill", "/news/harbour-spill.html", "2021-05-02")])
    web_kb.add_feed(feed)
    site.replies["/slow-feed.xml"] = site.replies["/slow.html"]  # fails after its timeout
    web_kb.add_feed(site.url + "/slow-feed.xml")
    polling = BackgroundPolling(web_kb, check_every_s=0.1)
    polling.start()
    try:
        deadline = time.monotonic() + 20
        while not web_kb.documents() and time.monotonic() < deadline:
            # Reads go on while the poller fetches and writes.
            assert web_kb.search("tanker Kestrel", k=1) is not None
            time.sleep(0.05)
    finally:
        polling.stop()
    assert [d.url for d in web_kb.documents()] == [site.url + "/news/harbour-spill.html"]
    states = {f.url: f for f in web_kb.feeds.all()}
    assert states[feed].polls >= 1 and states[feed].last_error is None
    assert "within 1.5 s" in (states[site.url + "/slow-feed.xml"].last_error or "")


@pytest.mark.parametrize("url", ["https://" + "0" * 300 + "/feed", "http://x.org:99999/a",
                                 "http://[::1/a", "http://ex\x00ample.org/"])
def test_malformed_addresses_are_fetch_errors(make_settings: Callable[..., Settings],
                                              url: str) -> None:
    kb = KnowledgeBase(make_settings())
    with pytest.raises(FetchError):
        kb.fetch_snapshot(url)
