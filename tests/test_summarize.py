from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from rag.citations import split_answer
from rag.errors import ConfigError, SourceNotFoundError
from rag.knowledge_base import KnowledgeBase
from tests.conftest import NEWER_SEED, OLDER_SEED
from tests.test_answer import assert_quotes_are_exact


def test_article_summary_cites_only_that_article(extractive: KnowledgeBase,  # noqa: F811
                                                 seeds: Path) -> None:
    summary = extractive.summarize(source=OLDER_SEED).as_dict()
    assert set(summary) == {"summary", "refused", "citations", "reports", "conflicts", "backend",
                            "timings"}
    assert summary["reports"] == [] and summary["conflicts"] == []  # one article: no timeline
    assert summary["refused"] is False
    assert {c["source"] for c in summary["citations"]} == {OLDER_SEED}
    assert len(summary["citations"]) >= 2
    assert "denied" in summary["summary"]  # the article's lead is in its summary
    assert_quotes_are_exact(summary, seeds)


def test_topic_summary_is_a_timeline(extractive: KnowledgeBase, seeds: Path) -> None:  # noqa: F811
    summary = extractive.summarize(topic="joint operations between Iraq and the coalition")
    data = summary.as_dict()
    assert {c["source"] for c in data["citations"]} == {NEWER_SEED, OLDER_SEED}
    text = data["summary"]
    assert text.index("2020-01-16") < text.index("2020-01-30")
    assert_quotes_are_exact(data, seeds)


def test_a_topic_no_article_covers_is_refused(extractive: KnowledgeBase) -> None:
    summary = extractive.summarize(topic="the 2022 FIFA World Cup final in Qatar")
    assert summary.refused and summary.citations == []
    assert "do not cover" in summary.summary


def test_summary_sentences_no_passage_states_are_dropped(extractive: KnowledgeBase) -> None:
    from rag.summarize import Summarizer
    from tests.fakes import ScriptedLLM

    # The model writes one sentence its passage states and one it does not.
    llm = ScriptedLLM(draft="Iraq's government denied that joint operations had resumed [1]. "
                            "The coalition withdrew all its troops from Iraq [2].",
                      verdict=lambda prompt: "no" if "withdrew" in prompt else "yes")
    summarizer = Summarizer(extractive.settings, extractive.store, extractive.retriever,
                            extractive.embedder, llm)
    summary = summarizer.article(OLDER_SEED)
    assert "withdrew" not in summary.summary
    assert "denied" in summary.summary and summary.citations
    assert len(llm.verdicts) >= 2  # each sentence went to the verifier


def test_summarize_needs_exactly_one_target(extractive: KnowledgeBase) -> None:  # noqa: F811
    with pytest.raises(ConfigError):
        extractive.summarize()
    with pytest.raises(SourceNotFoundError):
        extractive.summarize(source="absent.txt")


def test_cli_summarize(rag: Callable[..., tuple[int, Any, str]], seeds: Path,
                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAG_LLM", "extractive")
    rag("ingest", str(seeds))
    code, summary, _ = rag("summarize", NEWER_SEED, "--json")
    assert code == 0 and summary["citations"]
    code, _, err = rag("summarize")
    assert code == 2 and "--topic" in err
    code, answer, _ = rag("ask", "How many American troops were wounded?", "--json")
    assert code == 0 and "50" in answer["answer"]


# -- several chosen articles ----------------------------------------------------------------

def wire_story(folder: Path, name: str, day: str, outlet: str, extra: str) -> None:
    shared = ("Oil from the tanker Kestrel spread across the harbour of Port Elin on Sunday "
              "after the ship ran aground in fog.")
    (folder / name).write_text(f"Title: Spill in Port Elin ({outlet})\nDate: {day}\n"
                               f"Source: {outlet}\n\n{shared} {extra}\n", encoding="utf-8")


def test_chosen_articles_make_one_story(make_settings: Callable[..., Any],
                                        tmp_path: Path) -> None:
    folder = tmp_path / "news"
    folder.mkdir()
    wire_story(folder, "wire.txt", "2021-05-02", "Port Wire",
               "The port authority closed the harbour to ferries for the day.")
    wire_story(folder, "daily.txt", "2021-05-04", "Elin Daily",
               "Two days later, fishermen said the spill had reached the northern beaches.")
    wire_story(folder, "other.txt", "2021-05-03", "Other News",
               "Unrelated: the town council approved a new budget for schools.")
    kb = KnowledgeBase(make_settings(llm={"backend": "extractive"}))
    kb.ingest([folder])
    summary = kb.summarize(sources=["wire.txt", "daily.txt"]).as_dict()
    cited = {c["source"] for c in summary["citations"]}
    assert cited == {"wire.txt", "daily.txt"}
    text = summary["summary"]
    assert text.count("ran aground in fog") == 1  # both leads say it: said once
    assert text.index("2021-05-02") < text.index("2021-05-04")  # days apart: a timeline
    assert "budget" not in text
    assert_quotes_are_exact(summary, folder)
    with pytest.raises(SourceNotFoundError):
        kb.summarize(sources=["wire.txt", "absent.txt"])
    with pytest.raises(ConfigError):
        kb.summarize(sources=[])


def test_several_articles_ask_the_model_to_attribute_differences(
        extractive: KnowledgeBase) -> None:
    from rag.summarize import Summarizer
    from tests.fakes import ScriptedLLM

    llm = ScriptedLLM(draft="Iraq denied on January 16 that operations resumed [1].")
    summarizer = Summarizer(extractive.settings, extractive.store, extractive.retriever,
                            extractive.embedder, llm)
    summarizer.articles([OLDER_SEED, NEWER_SEED])
    system, user = (m["content"] for m in llm.drafts[0].messages)
    assert "which outlet reported what" in system and "in date order" in system
    assert user.index("2020-01-16") < user.index("2020-01-30")  # both, oldest first
    summarizer.article(OLDER_SEED)
    assert "which outlet reported what" not in llm.drafts[-1].messages[0]["content"]


def test_cli_summarize_several(rag: Callable[..., tuple[int, Any, str]], seeds: Path,
                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAG_LLM", "extractive")
    rag("ingest", str(seeds))
    code, summary, _ = rag("summarize", OLDER_SEED, NEWER_SEED, "--json", "--local")
    assert code == 0 and {c["source"] for c in summary["citations"]} == {OLDER_SEED,
                                                                         NEWER_SEED}
    code, _, err = rag("summarize", OLDER_SEED, "--topic", "Iraq")
    assert code == 2 and "not both" in err
    code, summary, _ = rag("summarize", OLDER_SEED, "--form", "bullets", "--sentences", "2",
                           "--json", "--local")
    assert code == 0 and summary["summary"].startswith("- ")


def test_summary_sentences_come_with_their_passages(extractive: KnowledgeBase) -> None:
    """The model fills sentences with the numbers they rest on; the text gets markers."""
    from rag.summarize import Summarizer, written
    from tests.fakes import ScriptedLLM

    llm = ScriptedLLM(draft="Iraq's government denied that joint operations had resumed [1].")
    summarizer = Summarizer(extractive.settings, extractive.store, extractive.retriever,
                            extractive.embedder, llm)
    summarizer.article(OLDER_SEED)
    schema = llm.drafts[0].schema
    assert schema is not None and schema["properties"]["sentences"]["items"]["required"] == \
        ["sources", "text"]
    value = {"sentences": [{"sources": [2, 9], "text": "It rose."}, {"sources": [], "text": " "}]}
    assert written(value, [1, 2, 3]) == "It rose [2]."


def test_a_reply_cut_short_keeps_the_sentences_it_finished(extractive: KnowledgeBase) -> None:
    from rag.errors import MalformedReplyError
    from rag.summarize import Summarizer, finished_sentences
    from tests.fakes import ScriptedLLM

    cut = ('{"sentences": [{"sources": [1], "text": "Iraq denied that joint operations had '
           'resumed."}, {"sources": [2], "text": "The coalition paused its')
    assert finished_sentences(cut) == {"sentences": [
        {"sources": [1], "text": "Iraq denied that joint operations had resumed."}]}
    with pytest.raises(MalformedReplyError):
        finished_sentences('{"sentences": [{"sources": [1], "text": "Iraq')
    summarizer = Summarizer(extractive.settings, extractive.store, extractive.retriever,
                            extractive.embedder, ScriptedLLM(draft=cut))
    summary = summarizer.article(OLDER_SEED, sentences=1)
    assert re.sub(r" \[\d+\]", "", summary.summary) == \
        "Iraq denied that joint operations had resumed."


def test_when_no_written_sentence_holds_the_articles_own_sentences_do(
        extractive: KnowledgeBase) -> None:
    from rag.summarize import Summarizer
    from tests.fakes import ScriptedLLM

    llm = ScriptedLLM(draft="The coalition withdrew all its troops from Iraq [1].",
                      verdict=lambda prompt: "no" if "withdrew" in prompt else "yes")
    summarizer = Summarizer(extractive.settings, extractive.store, extractive.retriever,
                            extractive.embedder, llm)
    summary = summarizer.article(OLDER_SEED)
    assert not summary.refused and "withdrew" not in summary.summary
    assert "denied" in summary.summary and all(c.supported for c in summary.citations)


def test_length_and_form(extractive: KnowledgeBase) -> None:
    bullets = extractive.summarize(source=OLDER_SEED, form="bullets", sentences=2).summary
    lines = bullets.splitlines()
    assert len(lines) == 2 and all(line.startswith("- ") for line in lines)
    timeline = extractive.summarize(sources=[OLDER_SEED, NEWER_SEED], sentences=3).summary
    assert timeline.startswith("2020-01-16") and timeline.count("2020-01-") == 3
    paragraph = extractive.summarize(sources=[OLDER_SEED, NEWER_SEED], form="paragraph",
                                     sentences=3).summary
    assert "2020-01-16:" not in paragraph and "\n" not in paragraph
    dated = extractive.summarize(source=OLDER_SEED, form="timeline", sentences=1).summary
    assert dated.startswith("2020-01-16: ")


def test_length_and_form_reach_the_model(extractive: KnowledgeBase) -> None:
    from rag.summarize import Summarizer
    from tests.fakes import ScriptedLLM

    llm = ScriptedLLM(draft="Iraq denied that joint operations had resumed [1].")
    summarizer = Summarizer(extractive.settings, extractive.store, extractive.retriever,
                            extractive.embedder, llm)
    summarizer.article(OLDER_SEED, form="timeline", sentences=3)
    call = llm.drafts[0]
    assert call.schema is not None and call.schema["properties"]["sentences"]["maxItems"] == 3
    assert "Write 3 short sentences" in call.messages[0]["content"]
    assert "each starting with its date" in call.messages[0]["content"]


def test_a_summary_short_of_its_length_is_filled_with_quoted_sentences(
        extractive: KnowledgeBase) -> None:
    from rag.summarize import Summarizer
    from tests.fakes import ScriptedLLM

    # Of the model's two sentences the verifier keeps one; the reader asked for four.
    llm = ScriptedLLM(draft="Iraq's government denied that joint operations had resumed [1]. "
                            "The coalition withdrew all its troops from Iraq [2].",
                      verdict=lambda prompt: "no" if "withdrew" in prompt else "yes")
    summarizer = Summarizer(extractive.settings, extractive.store, extractive.retriever,
                            extractive.embedder, llm)
    summary = summarizer.article(OLDER_SEED, sentences=4)
    sentences = split_answer(summary.summary)

    assert len(sentences) == 4 and "withdrew" not in summary.summary
    assert sentences[0].startswith("Iraq's government denied")
    document = extractive.document(OLDER_SEED).text or ""
    quoted = [c for c in summary.citations
              if c.passage.text.rstrip(".!?") in summary.summary]
    assert len(quoted) >= 3 and all(c.supported and c.passage.text in document
                                    for c in quoted)
    assert len({c.n for c in summary.citations}) == len(summary.citations)
    verdicts = len(llm.verdicts)
    summarizer.article(OLDER_SEED, sentences=4)
    assert len(llm.verdicts) == 2 * verdicts  # quotes need no verdict of their own


# -- length in words ------------------------------------------------------------------------

def test_a_length_in_words_bounds_the_summary(extractive: KnowledgeBase) -> None:
    from rag.summarize import words_of

    short = extractive.summarize(sources=[OLDER_SEED, NEWER_SEED], words=50).summary
    long = extractive.summarize(sources=[OLDER_SEED, NEWER_SEED], words=400).summary
    assert 0 < words_of(short) <= 50 < words_of(long) <= 400
    assert len(split_answer(long)) > 6  # words alone: as many sentences as it takes
    capped = extractive.summarize(source=OLDER_SEED, sentences=2, words=200).summary
    assert len(split_answer(capped)) == 2  # both limits hold


def test_a_length_in_words_reaches_the_model_and_trims_its_draft(
        extractive: KnowledgeBase) -> None:
    from rag.summarize import Summarizer, words_of
    from tests.fakes import ScriptedLLM

    llm = ScriptedLLM(draft="Iraq's government denied that joint operations with the US-led "
                            "coalition against the Islamic State group had resumed [1]. "
                            "The spokesman said the joint operations had not resumed [2]. "
                            "A report said the opposite [3].")
    summarizer = Summarizer(extractive.settings, extractive.store, extractive.retriever,
                            extractive.embedder, llm)
    summary = summarizer.article(OLDER_SEED, words=20)
    call = llm.drafts[0]
    assert call.schema is not None and call.schema["properties"]["sentences"]["maxItems"] == 1
    assert "(20 words at most)" in call.messages[0]["content"]
    # The draft's first sentence alone passes 16 words: it is kept, the rest is not.
    assert summary.summary.startswith("Iraq's government denied") and \
        "spokesman" not in summary.summary
    assert len(summary.citations) == 1 and f"[{summary.citations[0].n}]" in summary.summary
    summary = summarizer.article(OLDER_SEED, words=60)
    assert 20 < words_of(summary.summary) <= 60


def test_a_length_in_words_over_cli_and_settings(rag: Callable[..., tuple[int, Any, str]],
                                                 seeds: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from rag.summarize import words_of

    monkeypatch.setenv("RAG_LLM", "extractive")
    rag("ingest", str(seeds))
    code, summary, _ = rag("summarize", OLDER_SEED, NEWER_SEED, "--words", "40", "--json",
                           "--local")
    assert code == 0 and 0 < words_of(summary["summary"]) <= 40
    monkeypatch.setenv("RAG_SUMMARY_WORDS", "45")
    code, summary, _ = rag("summarize", OLDER_SEED, NEWER_SEED, "--json", "--local")
    assert code == 0 and 0 < words_of(summary["summary"]) <= 45
    monkeypatch.setenv("RAG_SUMMARY_WORDS", "3")
    code, _, err = rag("summarize", OLDER_SEED, "--json", "--local")
    assert code != 0 and "RAG_SUMMARY_WORDS" in err


def test_quotes_that_fill_a_summary_take_their_place_in_the_story(
        extractive: KnowledgeBase) -> None:
    from rag.summarize import Summarizer, _first_cited
    from tests.fakes import ScriptedLLM

    summarizer = Summarizer(extractive.settings, extractive.store, extractive.retriever,
                            extractive.embedder, None)
    late = summarizer._ranked(OLDER_SEED)[6]  # a sentence well after the lead
    llm = ScriptedLLM(draft=with_marker(late.text, late.n))
    summarizer.llm = llm
    summary = summarizer.article(OLDER_SEED, sentences=3)
    order = [_first_cited(sentence) for sentence in split_answer(summary.summary)]
    assert late.n in order and len(order) == 3
    assert order[0] < late.n  # the lead, quoted, comes before the model's later sentence
    assert order == sorted(order)


def with_marker(text: str, n: int) -> str:
    from rag.citations import with_markers

    return with_markers(text, [n])
