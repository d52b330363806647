"""Evaluation cases and the datasets that hold them.

A dataset is a YAML file (`eval/datasets/NAME.yaml`): a header naming its corpus
and a list of cases, each validated strictly (an unknown or misspelt field is
an error, not a silently ignored key). MultiHop-RAG's `questions.jsonl` is read
by an adapter into the same models.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal, get_args

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from rag.errors import ConfigError

DATASETS = Path(__file__).resolve().parent / "datasets"
CaseType = Literal["factual", "temporal", "conflict", "ambiguous", "unanswerable", "summary",
                   "inference", "comparison"]
Trap = Literal["false_premise", "swapped_role", "swapped_entity", "number_among_numbers",
               "negative_fact", "near_miss"]


class Case(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1)
    type: CaseType
    question: str = Field("", description="The question; for a summary case, its topic.")
    answer: str | None = Field(None, description="The short expected answer.")
    accept: list[str] = Field(default_factory=list,
                              description="Other phrasings that count as the answer.")
    facts: list[str] = Field(default_factory=list,
                             description="Key facts a correct answer states, all of them.")
    sources: list[str] = Field(default_factory=list,
                               description="Files a good answer cites.")
    summarize: str | None = Field(None, description="Summary case: the source to summarize "
                                  "(a topic summary uses `question` as the topic).")
    as_of: str | None = Field(None, pattern=r"^\d{4}-\d{2}-\d{2}$")
    gold_facts: list[str] = Field(default_factory=list,
                                  description="Sentences a retrieved chunk must contain to "
                                  "count as a hit (retrieval scoring).")
    trap: Trap | None = Field(None, description="What the case tempts a careless answer to "
                              "do (faithfulness cases).")
    conflict: bool | None = Field(None, description="Whether the sources disagree on the "
                                  "answer (true), agree (false), or not labelled (null).")
    wrong_answers: list[str] = Field(default_factory=list,
                                     description="Values that disagreeing sources give.")
    reference: str | None = Field(None, description="A reference answer that is not gold "
                                  "(for a judge only); the case scores as answered or not.")

    @property
    def answerable(self) -> bool:
        return self.type != "unanswerable"

    @model_validator(mode="after")
    def _complete(self) -> Case:
        if self.type == "summary":
            if not (self.summarize or self.question):
                raise ValueError("a summary case needs `summarize` (a source) or `question` "
                                 "(a topic)")
        elif not self.question:
            raise ValueError("`question` is required")
        if self.answerable and self.type != "summary" and not (
                self.answer or self.facts or self.reference):
            raise ValueError("an answerable case needs `answer`, `facts` or `reference`")
        if not self.answerable and (self.answer or self.facts or self.sources):
            raise ValueError("an unanswerable case has no answer, facts or sources")
        return self


class Dataset(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    description: str = ""
    corpus: list[Path] | None = Field(None, description="The article folder, or folders, "
                                      "relative to the dataset file.")
    cases: list[Case] = Field(min_length=1)

    @field_validator("corpus", mode="before")
    @classmethod
    def _folders(cls, value: object) -> object:
        return [value] if isinstance(value, str | Path) else value

    @model_validator(mode="after")
    def _unique_ids(self) -> Dataset:
        seen: set[str] = set()
        for case in self.cases:
            if case.id in seen:
                raise ValueError(f"case id {case.id!r} appears twice")
            seen.add(case.id)
        return self


def load_dataset(name_or_path: str) -> Dataset:
    """A bundled dataset by name (`seeds`), a YAML file, or a MultiHop-RAG `.jsonl` file."""
    path = Path(name_or_path)
    if not path.suffix:
        path = DATASETS / f"{name_or_path}.yaml"
        if not path.is_file():
            names = ", ".join(sorted(p.stem for p in DATASETS.glob("*.yaml")))
            raise ConfigError(f"no dataset named {name_or_path!r}; bundled: {names}")
    if not path.is_file():
        raise ConfigError(f"no dataset file at {path}")
    if path.suffix == ".jsonl":
        return load_jsonl(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        dataset = Dataset.model_validate(data)
    except (yaml.YAMLError, ValidationError) as exc:
        raise ConfigError(f"dataset {path} is invalid:\n{exc}") from None
    if dataset.corpus is not None:
        dataset.corpus = [(path.parent / folder).resolve() for folder in dataset.corpus]
    return dataset


def load_jsonl(path: Path) -> Dataset:
    """A benchmark's `questions.jsonl`: MultiHop-RAG's, or the shared benchmark format
    (`answers`, `conflict`, `as_of`, `type`, ...) of RAMDocs, RGB, RealTimeQA and ELOQ."""
    first = next((line for line in path.read_text(encoding="utf-8").splitlines()
                  if line.strip()), "{}")
    try:
        keys = json.loads(first).keys()
    except (ValueError, AttributeError):
        raise ConfigError(f"{path}:1: not a JSON object") from None
    return load_benchmark(path) if "answers" in keys else load_multihop(path)


# The shared benchmark types, as ours.
BENCHMARK_TYPES: dict[str, CaseType] = {
    "conflict_misinfo": "conflict", "ambiguous_multi_answer": "ambiguous",
    "single_answer": "factual", "counterfactual_conflict": "conflict",
    "clean_control": "factual", "temporal_news": "temporal", "out_of_scope": "unanswerable",
    "in_scope": "factual"}


def load_benchmark(path: Path) -> Dataset:
    """Questions in the shared benchmark format as cases; the corpus is `corpus/` beside it.

    One gold answer and its aliases become `answer` and `accept`; answers that
    belong to different entities of one name (RAMDocs' `disambig_entity`) are
    `facts`, all of which a right answer names;
    `wrong_answers` and the `conflict` label score conflict reporting. A question
    with no gold answer (ELOQ's answerable ones) keeps its non-gold reference for
    a judge and scores as answered or refused. Expected sources are the documents
    labelled as holding the gold answer, where the benchmark labels them.
    """
    cases = read_rows(path, "benchmark question", _benchmark_case)
    corpus = path.parent / "corpus"
    return Dataset(name=path.parent.name, description=f"{path.parent.name} questions",
                   corpus=[corpus] if corpus.is_dir() else None, cases=cases)


def _benchmark_case(row: dict[str, Any]) -> Case:
    kind = BENCHMARK_TYPES[row["type"]]
    refuse = kind == "unanswerable" or bool(row.get("should_refuse"))
    answers = [] if refuse else [a for a in row["answers"] if a]
    every = len(answers) > 1 and len(row.get("disambig_entity") or []) > 1
    sources = (row.get("docs_supporting_gold") or row.get("docs_labeled_correct")
               or ([row["evidence_doc"]] if row.get("evidence_doc") else []))
    return Case(
        id=row["id"], type=kind, question=row["question"],
        answer=None if every or not answers else answers[0],
        accept=[] if every else answers[1:], facts=answers if every else [],
        sources=[] if refuse or kind == "conflict" else list(sources),
        as_of=row.get("as_of"), conflict=None if refuse else row.get("conflict"),
        wrong_answers=list(row.get("wrong_answers") or []),
        reference=None if refuse or answers else (row.get("weak_reference_response")
                                                  or "(no reference)"))


def read_rows(path: Path, what: str, make: Callable[[dict[str, Any]], Case]) -> list[Case]:
    """One case per JSON line of `path`, made by `make`; a bad line is a ConfigError
    naming the file and line."""
    cases = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            cases.append(make(json.loads(line)))
        except (ValueError, KeyError, TypeError, ValidationError) as exc:
            raise ConfigError(f"{path}:{number}: not a {what}: {exc}") from None
    return cases


MULTIHOP_TYPES: dict[str, CaseType] = {
    "inference_query": "inference", "comparison_query": "comparison",
    "temporal_query": "temporal", "null_query": "unanswerable"}


def load_multihop(path: Path) -> Dataset:
    """MultiHop-RAG questions (`questions.jsonl`) as cases; the corpus is `corpus/` beside it.

    Types map to ours (`null_query` → unanswerable); the gold evidence sentences
    become `gold_facts` for retrieval scoring and the evidence files `sources`.
    """
    cases = read_rows(path, "MultiHop-RAG question", _multihop_case)
    corpus = path.parent / "corpus"
    return Dataset(name=path.parent.name, description="MultiHop-RAG questions",
                   corpus=[corpus] if corpus.is_dir() else None, cases=cases)


def _multihop_case(row: dict[str, Any]) -> Case:
    refuse = bool(row.get("should_refuse")) or row["type"] == "null_query"
    return Case(
        id=row["id"], type=MULTIHOP_TYPES[row["type"]], question=row["question"],
        answer=None if refuse else row.get("answer_normalized") or row["answer"],
        sources=[] if refuse else list(row.get("evidence_files", [])),
        gold_facts=[] if refuse else [e["fact"] for e in row.get("evidence", [])])


def split_half(case_id: str) -> Literal["dev", "test"]:
    """The half a case belongs to, by a hash of its id: `dev` to develop on, `test` to report.

    Fixed by the id alone, so no one can move a case between halves, and the
    halves of every dataset are drawn the same way.
    """
    return "dev" if hashlib.sha256(case_id.encode()).digest()[0] % 2 == 0 else "test"


def split(dataset: Dataset, half: Literal["dev", "test"]) -> Dataset:
    """The dataset's cases of one half (see `split_half`)."""
    cases = [case for case in dataset.cases if split_half(case.id) == half]
    if not cases:
        raise ConfigError(f"dataset {dataset.name!r} has no {half} cases")
    return dataset.model_copy(update={"name": f"{dataset.name}-{half}", "cases": cases})


def of_types(dataset: Dataset, types: list[str]) -> Dataset:
    """The dataset's cases of the given types (`factual`, `conflict`, ...)."""
    unknown = sorted(set(types) - set(get_args(CaseType)))
    if unknown:
        raise ConfigError(f"unknown case type {', '.join(unknown)}; "
                          f"the types are {', '.join(get_args(CaseType))}")
    cases = [case for case in dataset.cases if case.type in types]
    if not cases:
        raise ConfigError(f"dataset {dataset.name!r} has no {'/'.join(types)} cases")
    return dataset.model_copy(update={"name": f"{dataset.name}-{'-'.join(types)}",
                                      "cases": cases})
