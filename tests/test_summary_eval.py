"""The summary eval: the Multi-News adapter, ROUGE on a hand-checked example, the baselines."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from eval.summaries import (
    is_summary_dataset,
    lead3,
    load_clusters,
    plain,
    rouge,
    run_summary_eval,
    supported_share,
)
from rag.errors import ConfigError
from rag.settings import Settings


def test_rouge_on_a_hand_checked_example() -> None:
    # Unigrams: 5 of 6 shared (the, cat, on, the, mat); bigrams: 3 of 5 (the cat, on the,
    # the mat); longest common subsequence: "the cat on the mat", 5 of 6.
    scores = rouge("The cat lay on the mat.", "the cat sat on the mat")
    assert scores["rouge1"] == pytest.approx(5 / 6)
    assert scores["rouge2"] == pytest.approx(3 / 5)
    assert scores["rougeL"] == pytest.approx(5 / 6)
    assert rouge("Volcanoes erupt.", "The cat sat.")["rouge1"] == 0.0


def test_lead3_markers_and_supported_share() -> None:
    text = "First one here. Second, Mr. Smith said. Third. Fourth is left out."
    assert lead3(text) == "First one here. Second, Mr. Smith said. Third."
    assert plain("It rose [1]. It fell [2][3].") == "It rose. It fell."
    summary = {"summary": "It rose [1]. It fell [2]. It stayed.", "refused": False,
               "citations": [{"n": 1, "supported": True}, {"n": 2, "supported": False}]}
    assert supported_share(summary) == pytest.approx(1 / 3)
    assert supported_share({**summary, "refused": True}) is None


def write_clusters(root: Path) -> Path:
    corpus = root / "corpus"
    stories = {
        "c1": ["The harbour of Port Elin was closed on Sunday after the tanker Kestrel spilled "
               "oil. Ferries stopped. Crews worked through the night.",
               "Oil from the Kestrel reached the northern beaches of Port Elin on Tuesday, "
               "fishermen said. The port reopened."],
        "c2": ["The city council of Aldmoor approved a budget for new schools on Monday. "
               "The vote was seven to two.",
               "Aldmoor will build two schools, the mayor said after the council vote."],
    }
    lines = []
    for cluster, texts in stories.items():
        (corpus / cluster).mkdir(parents=True)
        files = []
        for n, text in enumerate(texts, 1):
            (corpus / cluster / f"doc_{n}.txt").write_text(text, encoding="utf-8")
            files.append(f"{cluster}/doc_{n}.txt")
        lines.append(json.dumps({"id": cluster, "files": files,
                                 "reference_summary": " ".join(texts)}))
    path = root / "clusters.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_adapter_and_a_run_with_the_extractive_backend(
        tmp_path: Path, make_settings: Callable[..., Settings]) -> None:
    path = write_clusters(tmp_path)
    assert is_summary_dataset(str(path)) and not is_summary_dataset(str(tmp_path / "x.jsonl"))
    clusters = load_clusters(path)
    assert [c.id for c in clusters] == ["c1", "c2"] and clusters[0].files[1] == "c1/doc_2.txt"
    result = run_summary_eval(path, make_settings(llm={"backend": "extractive"}),
                              tmp_path / "out")
    assert result["clusters"] == 2 and set(result["systems"]) == {"this project", "lead-3"}
    ours = result["systems"]["this project"]
    assert ours["rouge1"] > 0.5 and ours["supported"] == 1.0
    summaries = [r["summary"] for r in result["rows"] if r["system"] == "this project"]
    assert "Kestrel" in summaries[0] and "Aldmoor" in summaries[1]
    assert "[" not in "".join(summaries)  # scored without the citation markers
    assert (tmp_path / "out" / "summaries.json").exists()


def test_malformed_clusters_are_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "clusters.jsonl"
    path.write_text('{"id": "c1", "files": []}\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="clusters.jsonl:1"):
        load_clusters(path)


def test_cli_runs_the_summary_eval(rag: Callable[..., tuple[int, Any, str]],
                                   tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAG_LLM", "extractive")
    path = write_clusters(tmp_path)
    code, result, _ = rag("eval", "--dataset", str(path), "--out", str(tmp_path / "o"),
                          "--limit", "1", "--json")
    assert code == 0 and result["clusters"] == 1 and "lead-3" in result["systems"]


def test_naive_baseline_stuffs_every_article_cut_to_fit(
        make_settings: Callable[..., Settings]) -> None:
    from eval.summaries import CHARS_PER_TOKEN, naive_summary
    from tests.fakes import ScriptedLLM

    settings = make_settings()
    llm = ScriptedLLM(draft="The story in brief.")
    texts = ["alpha " * 4000, "beta " * 10]
    assert naive_summary(llm, texts, settings) == "The story in brief."
    prompt = llm.calls[0].prompt
    assert "Article 1:" in prompt and "Article 2:" in prompt and "beta beta" in prompt
    budget = settings.llm.context_tokens - 2 * settings.llm.max_tokens - 200
    assert len(prompt) < budget * CHARS_PER_TOKEN + 500  # cut to the model's context


def test_naive_baseline_is_asked_for_the_same_length(
        make_settings: Callable[..., Settings]) -> None:
    from eval.summaries import naive_summary
    from tests.fakes import ScriptedLLM

    llm = ScriptedLLM(draft="The story in brief.")
    naive_summary(llm, ["alpha", "beta"], make_settings())
    assert "in 6 sentences." in llm.calls[0].prompt
    naive_summary(llm, ["alpha", "beta"], make_settings(summary={"words": 200}))
    assert "in 8 sentences (200 words at most)." in llm.calls[1].prompt
