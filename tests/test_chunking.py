from hypothesis import given, settings
from hypothesis import strategies as st

from rag.articles import parse_article_text, read_article
from rag.chunking import chunk_article, split_sentences
from tests.conftest import NEWER_SEED, OLDER_SEED, SEEDS


def test_chunks_are_exact_slices_of_the_file() -> None:
    for seed in (NEWER_SEED, OLDER_SEED):
        raw = (SEEDS / seed).read_text(encoding="utf-8")
        chunks = chunk_article(read_article(SEEDS / seed), 800, 150)
        assert chunks
        for chunk in chunks:
            assert raw[chunk.start : chunk.end] == chunk.text


def test_chunks_respect_size_and_overlap() -> None:
    article = read_article(SEEDS / NEWER_SEED)
    chunks = chunk_article(article, 400, 100)
    assert len(chunks) > 3
    assert all(len(c.text) <= 400 for c in chunks)
    for before, after in zip(chunks, chunks[1:], strict=False):
        assert after.start > before.start  # progress
        # overlap, or only white space between: nothing of the span is skipped
        assert not article.text[before.end : after.start].strip()
    assert [c.index for c in chunks] == list(range(len(chunks)))


def test_chunks_end_on_sentence_boundaries() -> None:
    for chunk in chunk_article(read_article(SEEDS / OLDER_SEED), 500, 100):
        assert chunk.text.rstrip()[-1] in ".!?\"”'", chunk.text[-40:]


def test_abbreviations_do_not_split_sentences() -> None:
    text = "Title: T\n\nThe U.S. envoy met Gen. Milley on Jan. 5 in Baghdad. He left later.\n"
    article = parse_article_text(text, "t")
    sentences = [text[s.start : s.end] for s in split_sentences(text, article.body[0])]
    assert sentences == ["The U.S. envoy met Gen. Milley on Jan. 5 in Baghdad.", "He left later."]


def test_a_sentence_longer_than_a_chunk_is_cut_at_spaces() -> None:
    long_sentence = " ".join(["word"] * 200) + "."
    article = parse_article_text(f"Title: T\n\n{long_sentence}\n", "t")
    chunks = chunk_article(article, 120, 20)
    assert all(len(c.text) <= 120 for c in chunks)
    assert "".join(c.text.replace(" ", "") for c in chunks) == long_sentence.replace(" ", "")


def test_chunks_never_cross_dropped_furniture() -> None:
    text = ("Title: T\n\nFirst paragraph of the story is here and it is long enough.\n\n"
            "ADVERTISEMENT\n\nSecond paragraph continues the story after the ad break.\n")
    chunks = chunk_article(parse_article_text(text, "t"), 1000, 100)
    assert all("ADVERTISEMENT" not in c.text for c in chunks)
    assert len(chunks) == 2


_words = st.text(alphabet=st.sampled_from("abc XYZ.,!?\n\"'é"), min_size=1, max_size=400)


@settings(max_examples=200, deadline=None)
@given(body=_words, size=st.integers(100, 400), overlap=st.integers(0, 99))
def test_offsets_hold_for_any_text(body: str, size: int, overlap: int) -> None:
    text = f"Title: Generated\n\nThe story begins here with a sentence. {body}\n"
    article = parse_article_text(text, "g")
    for chunk in chunk_article(article, size, overlap):
        assert text[chunk.start : chunk.end] == chunk.text
        assert chunk.text == chunk.text.strip()
        assert len(chunk.text) <= size
