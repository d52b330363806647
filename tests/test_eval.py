"""The eval harness: datasets, metrics, the runner and its reports, and quality floors.

The floors were set from measured runs (README, "Eval"): the seeds set with the
`extractive` backend and MiniLM scored accuracy 0.828, negative rejection 0.50,
CRAG 0.543, source recall 0.966, citation precision 1.0, conflict detection 1.0.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from eval import metrics
from eval.cases import Case, load_dataset, load_multihop, of_types, split, split_half
from eval.report import write
from eval.runner import run_eval
from rag.errors import ConfigError
from rag.settings import Settings
from tests.conftest import BENCH, SEEDS

SEEDS_CASES = load_dataset("seeds")


# -- datasets --------------------------------------------------------------------------------

def test_seeds_set_is_large_and_covers_every_type() -> None:
    assert len(SEEDS_CASES.cases) >= 30
    kinds = {case.type for case in SEEDS_CASES.cases}
    assert kinds == {"factual", "temporal", "conflict", "unanswerable", "summary"}
    assert SEEDS_CASES.corpus is not None and [f.name for f in SEEDS_CASES.corpus] == ["seeds"]
    for case in SEEDS_CASES.cases:
        for source in case.sources:
            assert (SEEDS_CASES.corpus[0] / source).is_file(), (case.id, source)


@pytest.mark.skipif(not BENCH.exists(), reason="needs ../shared/benchdata/multihop")
def test_faithfulness_set_spans_two_corpora_and_every_trap() -> None:
    dataset = load_dataset("faithfulness")
    assert len(dataset.cases) >= 40
    assert dataset.corpus is not None and [f.name for f in dataset.corpus] == ["seeds", "corpus"]
    assert {case.trap for case in dataset.cases} == {
        "false_premise", "swapped_role", "swapped_entity", "number_among_numbers",
        "negative_fact", "near_miss"}
    refusals = [case for case in dataset.cases if not case.answerable]
    assert 0.3 <= len(refusals) / len(dataset.cases) <= 0.6
    for case in dataset.cases:
        for source in case.sources:
            assert any((folder / source).is_file() for folder in dataset.corpus), (case.id, source)


@pytest.mark.parametrize(("text", "error"), [
    ("name: x\ncases:\n  - {id: a, type: factual, question: q, answer: b, colour: red}",
     "colour"),
    ("name: x\ncases:\n  - {id: a, type: factual, question: q, answer: b}\n"
     "  - {id: a, type: factual, question: q, answer: b}", "appears twice"),
    ("name: x\ncases:\n  - {id: a, type: unanswerable, question: q, answer: b}",
     "unanswerable case has no answer"),
    ("name: x\ncases:\n  - {id: a, type: factual, question: q}",
     "needs `answer`, `facts` or `reference`"),
    ("name: x\ncases:\n  - {id: a, type: guess, question: q, answer: b}", "type"),
    ("name: x\ncases: [", "invalid"),
])
def test_invalid_datasets_are_rejected_with_the_reason(tmp_path: Path, text: str,
                                                       error: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=error):
        load_dataset(str(path))


def test_unknown_dataset_name_lists_the_bundled_ones() -> None:
    with pytest.raises(ConfigError, match="bundled: faithfulness, seeds$"):
        load_dataset("nope")


def test_halves_partition_the_cases_by_id() -> None:
    seeds = load_dataset("seeds")
    dev, test = split(seeds, "dev"), split(seeds, "test")
    assert {case.id for case in dev.cases} | {case.id for case in test.cases} == \
        {case.id for case in seeds.cases}
    assert not {case.id for case in dev.cases} & {case.id for case in test.cases}
    assert all(split_half(case.id) == "dev" for case in dev.cases)


def test_cases_are_chosen_by_type() -> None:
    seeds = load_dataset("seeds")
    chosen = of_types(seeds, ["conflict", "unanswerable"])
    assert {case.type for case in chosen.cases} == {"conflict", "unanswerable"}
    assert len(chosen.cases) == sum(case.type in {"conflict", "unanswerable"}
                                    for case in seeds.cases)
    with pytest.raises(ConfigError, match="unknown case type single_answer"):
        of_types(seeds, ["single_answer"])
    with pytest.raises(ConfigError, match="no inference cases"):
        of_types(seeds, ["inference"])


def test_multihop_adapter(tmp_path: Path) -> None:
    rows = [
        {"id": "q1", "question": "Who?", "answer": "Alameda Research", "type": "inference_query",
         "evidence_files": ["mhr_1.txt"], "answer_normalized": "Alameda Research",
         "should_refuse": False, "evidence": [{"file": "mhr_1.txt", "fact": "Alameda did it."}]},
        {"id": "q2", "question": "Nobody?", "answer": "Insufficient information.",
         "type": "null_query", "evidence_files": [], "should_refuse": True, "evidence": []},
    ]
    path = tmp_path / "questions.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows))
    dataset = load_multihop(path)
    first, second = dataset.cases
    assert first.type == "inference" and first.answer == "Alameda Research"
    assert first.gold_facts == ["Alameda did it."] and first.sources == ["mhr_1.txt"]
    assert second.type == "unanswerable" and second.answer is None
    path.write_text('{"id": "q3"}')
    with pytest.raises(ConfigError, match="questions.jsonl:1"):
        load_multihop(path)


def test_benchmark_adapter(tmp_path: Path) -> None:
    rows = [
        {"id": "r1", "question": "When?", "answers": ["Dec 1, 2017", "1 December 2017"],
         "conflict": True, "as_of": None, "type": "counterfactual_conflict",
         "wrong_answers": ["November 8, 2021"], "doc_files": ["a.txt", "b.txt"],
         "docs_supporting_gold": ["a.txt"]},
        {"id": "r2", "question": "What sport?", "answers": ["Golf", "Tennis"], "conflict": None,
         "as_of": None, "type": "ambiguous_multi_answer", "wrong_answers": [],
         "disambig_entity": ["Open (golf)", "Open (tennis)"], "docs_labeled_correct": ["c.txt"]},
        {"id": "r3", "question": "Which race?", "answers": ["New York City Marathon"],
         "conflict": None, "as_of": "2025-11-06", "type": "temporal_news",
         "evidence_doc": "e.txt"},
        {"id": "r4", "question": "Invented?", "answers": [], "conflict": None, "as_of": None,
         "type": "out_of_scope", "should_refuse": True},
        {"id": "r5", "question": "Which tracks?", "answers": [], "conflict": False,
         "as_of": None, "type": "in_scope", "should_refuse": False,
         "weak_reference_response": "Let Go and Bad Blood."},
    ]
    path = tmp_path / "questions.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows))
    swapped, ambiguous, dated, invented, in_scope = load_dataset(str(path)).cases
    assert swapped.type == "conflict" and swapped.conflict is True
    assert swapped.answer == "Dec 1, 2017" and swapped.accept == ["1 December 2017"]
    assert swapped.wrong_answers == ["November 8, 2021"]
    assert ambiguous.type == "ambiguous" and ambiguous.facts == ["Golf", "Tennis"]
    assert ambiguous.answer is None and ambiguous.sources == ["c.txt"]
    assert dated.as_of == "2025-11-06" and dated.sources == ["e.txt"]
    assert invented.type == "unanswerable" and not invented.answerable
    assert in_scope.answerable and in_scope.reference == "Let Go and Bad Blood."
    path.write_text('{"id": "q", "answers": [], "type": "no_such_type"}')
    with pytest.raises(ConfigError, match="questions.jsonl:1"):
        load_dataset(str(path))


@pytest.mark.parametrize(("name", "count", "types"), [
    ("ramdocs", 100, {"conflict", "ambiguous", "factual"}),
    ("rgb_fact", 40, {"conflict", "factual"}),
    ("realtimeqa", 100, {"temporal"}),
    ("eloq", 60, {"unanswerable", "factual"}),
])
def test_shared_benchmarks_load(name: str, count: int, types: set[str]) -> None:
    path = BENCH.parent / name / "questions.jsonl"
    if not path.exists():
        pytest.skip(f"needs ../shared/benchdata/{name}")
    dataset = load_dataset(str(path))
    assert len(dataset.cases) == count and {c.type for c in dataset.cases} == types
    assert dataset.corpus == [path.parent / "corpus"]
    assert all(c.as_of for c in dataset.cases) == (name == "realtimeqa")


@pytest.mark.skipif(not BENCH.exists(), reason="needs ../shared/benchdata/multihop")
def test_multihop_questions_file_loads() -> None:
    dataset = load_dataset(str(BENCH / "questions.jsonl"))
    assert len(dataset.cases) == 77 and dataset.corpus == [BENCH / "corpus"]
    answerable = [c for c in dataset.cases if c.answerable]
    assert all(c.gold_facts for c in answerable)


# -- metrics ---------------------------------------------------------------------------------

def case(**fields: Any) -> Case:
    return Case(**{"id": "c", "type": "factual", "question": "q", **fields})


def test_normalize_and_match() -> None:
    assert metrics.normalize("The U.S. deployed 5,200 troops!") == "u s deployed 5200 troops"
    assert metrics.contains("It wounded 50 American troops.", "50")
    assert not metrics.contains("It wounded 150 troops.", "50")
    assert metrics.correct(case(answer="Mark Esper", accept=["Esper"]), "Esper said so.")
    assert metrics.correct(case(facts=["resumed", "2020-01-30"]),
                           "They resumed, per the 2020-01-30 report.")
    assert not metrics.correct(case(facts=["resumed", "2020-01-30"]), "They resumed.")


def test_token_f1_and_crag() -> None:
    assert metrics.token_f1("Mark Esper", "Mark Esper") == 1.0
    assert metrics.token_f1("Mark Esper", "Esper") == pytest.approx(2 / 3)
    assert metrics.token_f1("Mark Esper", "Milley") == 0.0
    assert metrics.crag(True, False, True) == 1
    assert metrics.crag(True, True, False) == 0
    assert metrics.crag(True, False, False) == -1
    assert metrics.crag(False, True, False) == 1
    assert metrics.crag(False, False, False) == -1


def test_disagreement_metrics() -> None:
    swapped = case(type="conflict", answer="Dec 1, 2017", accept=["1 December 2017"],
                   wrong_answers=["November 8, 2021"], conflict=True)
    assert metrics.names_values(swapped, "Released 1 December 2017; one source says "
                                         "November 8, 2021.")
    assert not metrics.names_values(swapped, "It was released on 1 December 2017.")
    ambiguous = case(type="ambiguous", facts=["Golf", "Tennis"])
    assert metrics.names_values(ambiguous, "The golf one is golf; the other is tennis.")
    assert not metrics.names_values(ambiguous, "Golf.")
    assert metrics.stale(["2025-10-01", None], "2025-11-06")
    assert not metrics.stale(["2025-11-01", None], "2025-11-06")


def test_citation_metrics() -> None:
    assert metrics.source_scores(["a", "b"], ["a", "a", "c"]) == (0.5, 0.5)
    assert metrics.source_scores([], []) == (1.0, 1.0)
    citations = [{"n": 1, "supported": True}, {"n": 2, "supported": False}]
    recall, precision = metrics.sentence_scores("One [1]. Two [2]. Three.", citations)
    assert recall == pytest.approx(1 / 3) and precision == 0.5


def test_retrieval_metrics() -> None:
    gold = case(answer="x", gold_facts=["the  gold\nfact"])
    assert metrics.retrieval_ranks(gold, ["nothing", "has the gold fact here"]) == 2
    assert metrics.retrieval_ranks(gold, ["nothing"]) is None
    scores = metrics.hits_and_mrr([1, 5, None, 11])
    assert scores == {"hits@4": 0.25, "hits@10": 0.5, "mrr@10": pytest.approx((1 + 0.2) / 4)}


# -- the runner ------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def seeds_report(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from rag.settings import load_settings

    out = tmp_path_factory.mktemp("eval")
    settings = load_settings({"RAG_DATA_DIR": str(out / "data"), "RAG_LLM": "extractive"})
    report = run_eval(SEEDS_CASES, settings, out)
    return report, write(report, out)


def test_a_corpus_file_that_is_not_an_article_is_reported_not_fatal(tmp_path: Path) -> None:
    from rag.settings import load_settings

    corpus = tmp_path / "corpus"
    shutil.copytree(SEEDS, corpus)
    (corpus / "broken.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    settings = load_settings({"RAG_DATA_DIR": str(tmp_path / "data"), "RAG_LLM": "extractive"})
    dataset = SEEDS_CASES.model_copy(update={"cases": SEEDS_CASES.cases[:1]})
    report = run_eval(dataset, settings, tmp_path / "out", corpus)
    assert report.metrics["cases"] == 1 and report.metrics["errors"] == 0
    assert [Path(f["path"]).name for f in report.settings["not_ingested"]] == ["broken.txt"]
    assert "`broken.txt` (file is binary, not text)" in write(report, tmp_path / "out")[
        "md"].read_text()


def test_seeds_floors_with_the_extractive_backend(seeds_report: Any) -> None:
    report, _ = seeds_report
    m = report.metrics
    assert m["cases"] == len(SEEDS_CASES.cases) and m["errors"] == 0
    assert m["accuracy"] >= 0.80
    assert m["false_refusal"] <= 0.05
    assert m["negative_rejection"] >= 0.50
    assert m["crag_score"] >= 0.50
    assert m["source_recall"] >= 0.90 and m["source_precision"] >= 0.85
    assert m["citation_precision"] >= 0.95 and m["citation_recall"] >= 0.80
    assert m["conflict_detection"] == 1.0
    assert m["claims_entailed"] >= 0.95  # quoted sentences: what is shipped is stated
    assert report.by_type["temporal"]["accuracy"] >= 0.85


def test_reports_show_every_failed_case(seeds_report: Any) -> None:
    report, paths = seeds_report
    data = json.loads(paths["json"].read_text())
    assert data["metrics"] == report.metrics
    assert len(data["cases"]) == len(SEEDS_CASES.cases)
    markdown = paths["md"].read_text()
    failed = [c for c in data["cases"] if not c["passed"]]
    assert f"## Failed cases ({len(failed)})" in markdown
    for failure in failed:
        assert f"### {failure['id']} ({failure['type']})" in markdown
        assert failure["question"] in markdown
    assert paths["png"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_rag_eval_cli(rag: Callable[..., Any], tmp_path: Path) -> None:
    code, report, _ = rag("eval", "--llm", "extractive", "--limit", "4",
                          "--out", str(tmp_path / "out"), "--json")
    assert code == 0
    assert report["metrics"]["cases"] == 4
    assert report["backend"]["embeddings"] == "hash-256"
    assert {p.name for p in (tmp_path / "out").iterdir()} >= {"report.json", "report.md",
                                                              "report.png"}


def test_rag_eval_matrix(rag: Callable[..., Any], tmp_path: Path,
                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAG_EVAL_LLMS", "extractive")
    monkeypatch.setenv("RAG_EVAL_EMBEDDINGS", "hash,minilm")
    monkeypatch.setenv("RAG_HASH_DIM", "64")
    code, text, _ = rag("eval", "--matrix", "--limit", "3", "--out", str(tmp_path))
    assert code == 0
    assert ("| metric | extractive / hash-64 | extractive / sentence-transformers/"
            "all-MiniLM-L6-v2 |") in text
    assert (tmp_path / "extractive-hash" / "report.md").is_file()
    assert (tmp_path / "extractive-minilm" / "report.md").is_file()


def test_eval_without_a_corpus_is_a_clear_error(rag: Callable[..., Any],
                                                tmp_path: Path) -> None:
    path = tmp_path / "set.yaml"
    path.write_text("name: x\ncases:\n  - {id: a, type: factual, question: q, answer: b}\n")
    code, _, err = rag("eval", "--dataset", str(path), "--out", str(tmp_path / "o"))
    assert code == 2 and "--corpus" in err


def test_matrix_settings_parse_comma_lists(make_settings: Callable[..., Settings]) -> None:
    settings = make_settings(eval={"llms": "extractive,openai", "embeddings": "hash"})
    assert settings.eval.llms == ["extractive", "openai"]


def test_answer_claims_leave_out_conflict_notes() -> None:
    from eval.metrics import answer_claims

    citations = [{"n": 1, "quote": "Q1"}, {"n": 2, "quote": "Q2"}]
    text = ('Yes [2]. Sources disagree: on 2020-01-16, X reported "no" [1], while on '
            '2020-01-30, Y reported "yes" [2]; the 2020-01-30 report is more recent.')
    q1, q2 = citations
    assert answer_claims(text, citations) == [("Yes", [q2])]
    assert answer_claims("A [1]. B [1][2].", citations) == [("A", [q1]), ("B", [q1, q2])]


@pytest.mark.parametrize("template, values", [
    ("compared_sides", {"passages": "both"}),
    ("denial_quote", {"p": "first"}),
    ("denial_quote", {"p": "titled"}),  # no outlet: named by its title
    ("clause_unstated", {"question": "Did the Verge report the recall?"}),
    ("carried_by", {"outlets": ["Reuters", "AP"]}),
])
def test_answer_claims_leave_out_the_notes_after_the_answer(template: str,
                                                           values: dict[str, Any]) -> None:
    """A note the chain appends (as its template renders it) quotes passages or tells what
    the articles hold; the answer's claims are the sentences before it."""
    from types import SimpleNamespace

    from eval.metrics import answer_claims
    from rag.prompting import render

    first = SimpleNamespace(n=1, outlet="SpaceWar.com (AFP)", title="Strike",
                            published="2020-01-16", text="Iraq denied that operations had resumed.")
    second = SimpleNamespace(n=2, outlet=None, title="Resumed", published=None,
                             text="Joint operations resumed.")
    titled = SimpleNamespace(**{**vars(first), "outlet": None})
    shown = {"both": [first, second], "first": first, "titled": titled}
    note = render(template, **{k: shown.get(v, v) if isinstance(v, str) else v
                               for k, v in values.items()}).strip()
    citations = [{"n": 1, "quote": first.text}, {"n": 2, "quote": second.text}]
    assert answer_claims(f"No [1]. {note}", citations) == [("No", [citations[0]])]
    assert answer_claims(f"As of 2020-01-20: No [1]. {note}", citations) \
        == [("No", [citations[0]])]


def test_claims_are_checked_on_passages_labelled_as_the_answer_read_them() -> None:
    """The metric's verifier reads each cited passage with its outlet and date, as the
    answer's own verifier did: a claim about what one outlet reported needs the label."""
    from eval.runner import Outcome, cited_evidence, claims_entailed
    from rag.verify import ClaimVerifier, Evidence, Verdict

    class ByOutlet(ClaimVerifier):
        """States a claim only when a passage from Reuters is among those cited."""

        def _decide(self, claim: str, evidence: Any, question: str | None) -> Verdict:
            return Verdict(any("Reuters" in e.label for e in evidence), "by label")

    case = Case(id="c", type="factual", question="What did Reuters report?", answer="x")
    citation = {"n": 1, "quote": "The vote passed.", "outlet": "Reuters",
                "published": "2020-01-30"}
    outcome = Outcome(case.id, case.type, case.question, {}, got="The vote passed [1].",
                      citations=[citation])
    assert claims_entailed(ByOutlet(), case, outcome) == 1.0
    assert cited_evidence(citation) == Evidence("The vote passed.", "Reuters, 2020-01-30")
    outcome.citations = [{**citation, "outlet": None}]
    assert claims_entailed(ByOutlet(), case, outcome) == 0.0
