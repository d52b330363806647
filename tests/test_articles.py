from datetime import date
from pathlib import Path

import pytest

from rag.articles import parse_article_bytes, parse_article_text, read_article
from rag.dates import find_date
from rag.errors import ArticleError
from rag.furniture import ADVERTISEMENT, COPYRIGHT, HEADLINE_LIST, PICTURE, SHARE_WIDGET
from tests.conftest import NEWER_SEED, OLDER_SEED, SEEDS


def test_newer_seed_metadata_and_furniture() -> None:
    article = read_article(SEEDS / NEWER_SEED)
    assert article.title == ("Iraqs Joint Operations with Coalition Resume as US Seeks Nod "
                             "for Air Defenses")
    assert article.published == date(2020, 1, 30)
    kinds = {d.kind for d in article.dropped}
    assert {SHARE_WIDGET, PICTURE} <= kinds
    body = article.body_text
    assert body.startswith("Joint military operations with the US-led coalition")
    assert body.endswith("Esper said during a news conference.")
    for furniture in ("مشاركة", "news-picture", "• 3", "00:00"):
        assert furniture not in body


def test_older_seed_metadata_and_furniture() -> None:
    article = read_article(SEEDS / OLDER_SEED)
    assert article.title == "Iraq denies resuming joint ops with US-led coalition"
    assert article.published == date(2020, 1, 16)
    assert "SpaceWar.com" in article.outlet and "AFP" in article.outlet
    kinds = {d.kind for d in article.dropped}
    assert {ADVERTISEMENT, HEADLINE_LIST, COPYRIGHT} <= kinds
    body = article.body_text
    for furniture in ("ADVERTISEMENT", "Rocket Lab", "All rights reserved", "Space News from"):
        assert furniture not in body
    assert body.endswith("which include around 5,200 US troops.")


@pytest.mark.parametrize("seed", [NEWER_SEED, OLDER_SEED])
def test_nothing_of_the_article_is_lost(seed: str) -> None:
    """Every line of the file is kept, used as metadata, or reported as dropped."""
    article = read_article(SEEDS / seed)
    accounted = "\n".join([article.body_text, article.title, *(d.text for d in article.dropped)])
    for line in article.text.splitlines():
        if line.strip() and not _is_metadata(line):
            assert line.strip() in accounted, line


def _is_metadata(line: str) -> bool:
    stripped = line.strip().lstrip("•").strip()
    return bool(find_date(stripped)) or stripped in {"00:00"} or stripped.startswith("SpaceWar")


def test_body_spans_point_into_the_original_text() -> None:
    article = read_article(SEEDS / OLDER_SEED)
    raw = (SEEDS / OLDER_SEED).read_text(encoding="utf-8")
    assert article.text == raw
    for span in article.body:
        assert raw[span.start : span.end].strip() == raw[span.start : span.end]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1/30/2020", date(2020, 1, 30)),
        ("Jan 16, 2020", date(2020, 1, 16)),
        ("Baghdad, Jan 16 (AFP) Jan 16, 2020", date(2020, 1, 16)),
        ("2023-09-26T19:11:30+00:00", date(2023, 9, 26)),
        ("2020-01-16", date(2020, 1, 16)),
        ("16 January 2020", date(2020, 1, 16)),
        ("Sept. 3rd, 2021", date(2021, 9, 3)),
        ("30/1/2020", date(2020, 1, 30)),
        ("no date here", None),
        ("2/30/2020", None),
    ],
)
def test_find_date(text: str, expected: date | None) -> None:
    assert find_date(text) == expected


def test_bench_style_header() -> None:
    text = ("Title: Markets slide\nDate: 2023-09-26T19:11:30+00:00\nSource: The Herald\n\n"
            "Shares fell on Tuesday as investors worried about rates.\n\nAdvertisement\n\n"
            "Bonds rallied.\n")
    article = parse_article_text(text, "fallback")
    assert (article.title, article.published, article.outlet) == (
        "Markets slide", date(2023, 9, 26), "The Herald")
    assert [d.kind for d in article.dropped] == [ADVERTISEMENT]
    assert "Shares fell" in article.body_text and "Bonds rallied." in article.body_text
    assert "Title:" not in article.body_text


def test_a_source_given_as_an_address_names_the_site() -> None:
    text = ("Date: 2024-09-20\nSource: https://www.rediff.com/business/report/x.htm\n\n"
            "The government has notified October 1 as the starting date for the scheme.\n")
    assert parse_article_text(text, "fallback").outlet == "rediff.com"


@pytest.mark.parametrize("body", [
    "Bankman-Fried founded the crypto exchange FTX.",
    "Who's making Assassin's Creed: Crew List ; Director. James Cameron ; Screenwriters. "
    "Bill Collage · Adam Cooper ; Producers. Jean-Julien Baronnet",
])
def test_a_one_line_text_is_kept_though_it_reads_like_a_headline(body: str) -> None:
    article = parse_article_text(f"Date: 2023-12-22\nSource: CNN\n\n{body}\n", "fallback")
    assert article.body_text == body and article.published == date(2023, 12, 22)


def test_markdown_front_matter_and_heading() -> None:
    text = ('---\ntitle: "Quoted title"\ndate: 2021-05-04\n---\n\n# Quoted title\n\n'
            "The council voted on Monday to approve the new budget for the city.\n")
    article = parse_article_bytes(text.encode(), ".md", "fallback")
    assert article.title == "Quoted title"
    assert article.published == date(2021, 5, 4)
    expected = "The council voted on Monday to approve the new budget for the city."
    assert article.body_text == expected


def test_html_article() -> None:
    html = """<html><head><title>Site | Storm hits coast</title>
    <meta property="og:site_name" content="Coast News">
    <meta property="article:published_time" content="2022-08-01T10:00:00Z">
    <script>var x = 1;</script></head><body><nav>Home | World</nav>
    <h1>Storm hits coast</h1><p>A storm hit the coast on Monday, the weather office said.</p>
    <p>Thousands lost power.</p><footer>All rights reserved.</footer></body></html>"""
    article = parse_article_bytes(html.encode(), ".html", "fallback")
    assert (article.title, article.published, article.outlet) == (
        "Storm hits coast", date(2022, 8, 1), "Coast News")
    body = article.body_text
    assert "A storm hit the coast on Monday" in body and "Thousands lost power." in body
    assert "var x" not in body and "Home | World" not in body and "rights" not in body


def test_untitled_text_falls_back_to_the_file_name() -> None:
    article = parse_article_text(
        "The central bank raised interest rates by a quarter point on Wednesday.\n", "rates")
    assert article.title == "rates"
    assert article.body_text.startswith("The central bank")


def test_trailing_short_paragraph_is_kept() -> None:
    """Tail rules only drop lists of headlines, not an article's short last line."""
    text = ("Title: Trial\n\nThe jury heard from the first witness on Tuesday morning in court.\n\n"
            "The trial continues…\n")
    assert parse_article_text(text, "x").body_text.endswith("The trial continues…")


@pytest.mark.parametrize(
    ("raw", "suffix", "message"),
    [
        (b"", ".txt", "empty"),
        (b"   \n\n", ".txt", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00", ".txt", "binary"),
        (b"caf\xe9 au lait is a drink people like in the morning.", ".txt", "UTF-8"),
        (b"ADVERTISEMENT\n", ".txt", "no article text"),
    ],
)
def test_bad_input_is_a_clear_error(raw: bytes, suffix: str, message: str) -> None:
    with pytest.raises(ArticleError, match=message):
        parse_article_bytes(raw, suffix, "x")


def test_unsupported_type_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ArticleError, match="unsupported"):
        read_article(tmp_path / "x.pdf")
    with pytest.raises(ArticleError, match="not found"):
        read_article(tmp_path / "x.txt")
