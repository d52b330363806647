"""The answer chain: retrieve -> select sentences -> draft -> verify -> weigh -> compose.

Composed of LangChain runnables over one typed state, so each step is a plain
function that can be tested, timed or swapped on its own. With a model, the
draft is structured (`rag.drafting`): the passages an answer rests on and the
short answer. The answer is then checked as an answer to the question against
exactly those passages (`rag.verify`); what the passages do not state is a
refusal, never an answer with citations marked supported. Other answers the
model found in other passages are checked the same way and, where they stand,
reported beside it as a disagreement (`rag.conflicts`): with dates, the newest
report's answer leads. Without a model (`extractive`) the answer is the
best-matching sentences themselves.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from langchain_core.runnables import Runnable, RunnableLambda

from rag import compound
from rag.citations import Carrier, Citation, evidence_of, with_markers
from rag.conflicts import NOTE_START, Claim, Conflict, find_conflicts, of_claims, share_a_name
from rag.context import Passage, group_by_source, naming_sentence, select_passages
from rag.drafting import MAX_SOURCES, Draft, offered_choices, with_first_choice, write_draft
from rag.embeddings import Embedder
from rag.llm import LLM
from rag.names import full_name
from rag.prompting import render
from rag.records import StoredChunk
from rag.retrieval import HybridRetriever, asks_about_sources
from rag.scope import is_open, missing_terms, speaks_of
from rag.settings import Settings
from rag.terms import has_negation, terms
from rag.timewords import asks_latest_report
from rag.values import comparable, counterparts, is_about, restates, rivals, same_value
from rag.verify import DENIED, ClaimVerifier, Evidence, Verdict, denies, make_verifier

log = logging.getLogger(__name__)

# Articles whose passages an unverified answer is checked against, most relevant first.
PER_SOURCE_CHECKS = 3
# Other articles about the question asked for their own answer when no rival turned up.
ARTICLES_ASKED = 2
NOT_IN_SOURCES = re.compile(r"not\s+in\s+(the\s+)?(sources|passages)|do(es)?\s+not\s+(say|mention|"
                            r"contain|answer|provide|state)|cannot\s+(answer|find|be determined)|"
                            r"no\s+information|\bunknown\b|not\s+(mentioned|specified|stated)",
                            re.I)


# Where the notes `_compose` appends after the answer begin, in the words their templates
# open with (prompts/denial_quote.j2, clause_unstated.j2, compared_sides.j2,
# conflict_note.j2, carried_by.j2). Each quotes passages word for word or tells what the
# articles shown hold; none makes a claim of its own.
NOTES_START = re.compile(
    r"(?<=[.!?] )(?:(?:On \d{4}-\d{2}-\d{2}, )?(?:an article titled \"[^\"]*\"|[^\"\[\]]{1,200}?) "
    r"reported \"|Compared: |"
    r"The articles shown do not bear out |The same report also ran in |"
    rf"{NOTE_START.pattern})")
# The lead-ins `_compose` puts before an answer: what was published by a date, the newest
# report (prompts/latest_report.j2). They frame the answer and claim nothing.
LEAD_IN = re.compile(r"^(?:As of \d{4}-\d{2}-\d{2}: )?(?:The latest report[^:\[\]]*: )?")


@dataclass
class Answer:
    answer: str
    refused: bool
    citations: list[Citation]
    conflicts: list[Conflict]
    backend: dict[str, str]
    timings: dict[str, float | int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"answer": self.answer, "refused": self.refused,
                "citations": [c.as_dict() for c in self.citations],
                "conflicts": [c.as_dict() for c in self.conflicts],
                "backend": self.backend, "timings": self.timings}


@dataclass(frozen=True)
class Question:
    text: str
    k: int
    as_of: date | None
    sources: list[str] | None
    on_token: Callable[[str], None] | None


@dataclass(frozen=True)
class Part:
    """One clause of a compound yes/no question, and the passages it is answered on."""

    question: str
    passages: tuple[int, ...]


@dataclass(frozen=True)
class Step:
    """What the chain knows after each step; later steps fill the later fields."""

    question: Question
    passages: list[Passage] = field(default_factory=list)
    answerable: bool = False
    parts: tuple[Part, ...] = ()  # a compound yes/no question's clauses, or a comparison's sides
    compared: bool = False  # the parts are the two sides of a comparison, decided together
    unstated: str | None = None  # the clause a "no" to a compound question rests on
    draft: Draft | None = None
    verdict: Verdict | None = None
    conflicts: tuple[Conflict, ...] = ()
    retrieve_ms: float = 0.0
    generate_ms: float = 0.0
    verify_ms: float = 0.0
    weigh_ms: float = 0.0
    prompt_tokens: int = 0
    completion_tokens: int = 0

    @property
    def by_number(self) -> dict[int, Passage]:
        return {p.n: p for p in self.passages}


class AnswerChain:
    def __init__(self, settings: Settings, retriever: HybridRetriever, embedder: Embedder,
                 llm: LLM | None, verifier: ClaimVerifier | None = None) -> None:
        self.settings = settings
        self.retriever = retriever
        self.embedder = embedder
        self.llm = llm
        self.verifier = verifier or make_verifier(
            llm, settings.llm.verify_threshold, settings.llm.verify_answer_threshold)
        self.rival_threshold = settings.llm.verify_threshold
        self.chain: Runnable[Step, Answer] = (
            RunnableLambda(self._retrieve) | RunnableLambda(self._draft)
            | RunnableLambda(self._verify) | RunnableLambda(self._weigh)
            | RunnableLambda(self._compose))

    @property
    def backend(self) -> dict[str, str]:
        return {"llm": self.llm.model_id if self.llm else "extractive",
                "embeddings": self.embedder.model_id}

    def ask(self, question: str, k: int | None = None, as_of: date | None = None,
            sources: Sequence[str] | None = None,
            on_token: Callable[[str], None] | None = None) -> Answer:
        asked = Question(question.strip(), k or 8, as_of, list(sources) if sources else None,
                         on_token)
        return self.chain.invoke(Step(asked))

    # -- steps -------------------------------------------------------------------------------

    def _retrieve(self, step: Step) -> Step:
        started = time.perf_counter()
        q = step.question
        passages = self._passages(q.text, q)
        best = max((p.relevance for p in passages), default=0.0)
        answerable = best >= self.settings.retrieval.min_relevance
        parts: list[Part] = []
        asked = compound.clauses(q.text, self.retriever.lexical.outlets()) \
            if self.llm is not None else [q.text]
        if len(asked) > 1:  # each clause answered on its own article's passages
            for clause in asked:
                passages, part = self._retrieve_clause(clause, q, passages)
                answerable = answerable and part is not None
                parts.extend([part] if part else [])
        elif self.llm is not None and (compared := compound.sides(q.text)):
            # Each side from its own article; with one side missing, asked as it stands.
            merged, found = passages, []
            for side in compared:
                merged, part = self._retrieve_clause(side, q, merged)
                found.extend([part] if part else [])
            if len(found) == len(compared):
                passages, parts = merged, found
        # Last, over every article shown (a question spanning articles is spoken of by all).
        answerable = answerable and self._spoken_of(q.text, passages)
        return replace(step, passages=passages, answerable=answerable, parts=tuple(parts),
                       compared=len(asked) == 1 and bool(parts),
                       retrieve_ms=(time.perf_counter() - started) * 1000)

    def _spoken_of(self, question: str, passages: list[Passage]) -> bool:
        """Whether the articles of `passages` hold what an open question asks about (see
        `rag.scope`); a question asking for a value is left to the verifier."""
        if not is_open(question):
            return True
        held = self.retriever.lexical.terms_of({p.source for p in passages})
        if speaks_of(question, held):
            return True
        log.debug("the articles shown lack most of the question's terms: %s",
                  " ".join(sorted(missing_terms(question, held)[0])))
        return False

    def _passages(self, text: str, q: Question) -> list[Passage]:
        """The numbered sentences a model reads for `text`, within `q`'s date and sources."""
        hits = self.retriever.retrieve(text, q.k, q.as_of, q.sources)
        return select_passages(text, hits, self.embedder,
                               self.settings.retrieval.context_sentences,
                               relative_cutoff=self.settings.retrieval.context_cutoff,
                               min_relevance=self.settings.retrieval.min_relevance)

    def _retrieve_clause(self, clause: str, q: Question, passages: list[Passage]
                         ) -> tuple[list[Passage], Part | None]:
        """The passages of the article that best answers one clause, added to `passages`
        (numbered after them, those already there kept); no part when nothing is relevant."""
        found = self._passages(clause, q)
        if max((p.relevance for p in found), default=0.0) < self.settings.retrieval.min_relevance:
            return passages, None
        best = max(found, key=lambda p: p.relevance).source
        held = {(p.source, p.start): p.n for p in passages}
        merged = list(passages)
        numbers: list[int] = []
        for p in found:
            if p.source != best:
                continue
            if (p.source, p.start) not in held:
                held[(p.source, p.start)] = len(merged) + 1
                merged.append(replace(p, n=len(merged) + 1))
            numbers.append(held[(p.source, p.start)])
        return merged, Part(clause, tuple(numbers))

    def _draft(self, step: Step) -> Step:
        if not step.answerable:
            return step
        if step.parts and not step.compared:
            return self._by_clause(step)
        if step.compared:
            step = self._compare(step)
            if step.verdict is not None:
                return step
        if asks_latest_report(step.question.text) and (
                latest := latest_report(step.passages, self.settings.retrieval.min_relevance)):
            return replace(step, draft=latest)  # what the newest report says, in its words
        if self.llm is None:
            return replace(step, draft=extractive_draft(step.passages,
                                                        self.settings.retrieval.min_relevance))
        draft, completion = write_draft(self.llm, step.question.text, step.passages,
                                        self.settings.llm.max_tokens)
        if completion is None:
            return replace(step, draft=draft)
        return replace(step, draft=draft, generate_ms=completion.total_ms,
                       prompt_tokens=completion.prompt_tokens,
                       completion_tokens=completion.completion_tokens)

    def _by_clause(self, step: Step) -> Step:
        """A compound yes/no question answered clause by clause: "yes" when the model
        answers every clause yes from its article's passages, "no" when it answers one
        no (or the passages deny it), otherwise nothing."""
        assert self.llm is not None
        started = time.perf_counter()
        by_n = step.by_number
        weakest: tuple[float, Part] | None = None
        for part in step.parts:
            evidence = [evidence_of(by_n[n]) for n in part.passages]
            p = 0.0 if denies(part.question, evidence) else compound.p_yes(
                self.llm, part.question, evidence)
            log.debug("clause %r: p(yes) %.2f", part.question, p)
            if weakest is None or p < weakest[0]:
                weakest = (p, part)
        assert weakest is not None
        p, part = weakest
        if p >= compound.YES:
            cited = tuple(n for part in step.parts for n in part.passages[:2])
            draft, verdict = Draft("yes", cited, "yes_no"), Verdict(
                True, f"every clause: p(yes) >= {p:.2f}", p)
        elif p < compound.NO:
            draft, verdict = Draft("no", part.passages[:2], "yes_no"), Verdict(
                True, f"a clause: p(yes) {p:.2f}", 1 - p)
        else:
            draft, verdict = None, Verdict(False, f"a clause undecided: p(yes) {p:.2f}", p)
        return replace(step, draft=draft, verdict=verdict,
                       unstated=part.question if draft and draft.answer == "no" else None,
                       verify_ms=(time.perf_counter() - started) * 1000)

    def _compare(self, step: Step) -> Step:
        """A comparison decided once, by the model reading both sides' passages together
        (each labelled with its outlet and date): "yes" or "no" when it leans clearly one
        way, as for a clause; otherwise no verdict, and the question is drafted and checked
        like any other. A question offering "consistent or inconsistent" is asked of the
        first, and answered with it or its negation. The answer cites both sides."""
        assert self.llm is not None
        started = time.perf_counter()
        by_n = step.by_number
        question = step.question.text
        evidence = [evidence_of(by_n[n]) for part in step.parts for n in part.passages]
        p = compound.p_yes(self.llm, with_first_choice(question), evidence)
        log.debug("comparison: p(yes) %.2f", p)
        cited = tuple(dict.fromkeys(n for part in step.parts for n in part.passages[:2]))
        yes, no = offered_choices(question) or ("yes", "no")
        form = "short" if yes != "yes" else "yes_no"
        if p >= compound.YES:
            draft, verdict = Draft(yes, cited, form), Verdict(
                True, f"both sides: p(yes) {p:.2f}", p)
        elif p < compound.NO:
            draft, verdict = Draft(no, cited, form), Verdict(
                True, f"both sides: p(yes) {p:.2f}", 1 - p)
        else:
            return replace(step, compared=False, parts=(),
                           verify_ms=(time.perf_counter() - started) * 1000)
        return replace(step, draft=draft, verdict=verdict,
                       verify_ms=(time.perf_counter() - started) * 1000)

    def _verify(self, step: Step) -> Step:
        if step.verdict is not None:  # decided while drafting
            return step
        draft = step.draft
        if draft is None or NOT_IN_SOURCES.search(draft.answer):
            return replace(step, verdict=Verdict(False, "no answer drafted"))
        started = time.perf_counter()
        if log.isEnabledFor(logging.DEBUG):
            log.debug("passages: %s", " | ".join(
                f"[{p.n}] {p.source} {p.relevance:.2f} {p.text!r}" for p in step.passages))
        if draft.form == "quotes":  # the answer is the passages' own sentences
            return replace(step, verdict=Verdict(True, "quoted"))
        if draft.form == "short":
            articles = self._cited_articles(draft, step)
            draft = self._full_name(draft, articles)
            step = self._with_named_in_article(draft, step, articles)
        reverse = draft.form == "yes_no" and not draft.others
        first, verdict = self._check(draft, step, reverse)
        if not verdict.entailed:
            # Another answer the model listed may be the one its passages state.
            for i, other in enumerate(draft.others):
                promoted = replace(draft, answer=other.answer, sources=other.sources,
                                   others=draft.others[:i] + draft.others[i + 1:])
                candidate, found = self._check(promoted, step, reverse=False)
                if found.entailed:
                    first, verdict = candidate, found
                    break
        if not verdict.entailed:
            first, verdict = self._per_source(first, verdict, step)
        log.debug("answer %r %s [%s]: %s", first.answer, first.form,
                  ",".join(map(str, first.sources)), verdict.reason)
        return replace(step, draft=first, verdict=verdict,
                       verify_ms=(time.perf_counter() - started) * 1000)

    def _cited_articles(self, draft: Draft, step: Step) -> dict[str, list[StoredChunk]]:
        """The stored chunks of each article the draft cites, in the order it cites them."""
        by_n = step.by_number
        return {source: self.retriever.store.chunks(where={"source": source})
                for source in dict.fromkeys(by_n[n].source for n in draft.sources)}

    def _full_name(self, draft: Draft, articles: dict[str, list[StoredChunk]]) -> Draft:
        """A short answer named as the articles it cites first name it: a small model
        shortens "Alameda Research" to "Alameda", which names something else."""
        name = full_name(draft.answer, [" ".join(c.text for c in chunks)
                                        for chunks in articles.values()])
        return draft if name == draft.answer else replace(draft, answer=name)

    def _with_named_in_article(self, draft: Draft, step: Step,
                               articles: dict[str, list[StoredChunk]]) -> Step:
        """The step with the sentence of a cited article that names a short answer its
        passages do not: the passages chosen for a "who" question often refer to the
        person as "he" or by initials ("under the instruction of SBF") while the article
        names them once, elsewhere. The verifier then reads that sentence with the rest."""
        words = set(terms(draft.answer)) - set(terms(step.question.text))
        if not words or any(words <= set(terms(p.text)) for p in step.passages):
            return step
        for source, chunks in articles.items():
            found = naming_sentence(words, chunks, step.question.text, self.embedder,
                                    len(step.passages) + 1)
            if found is not None:
                log.debug("answer %r named in %s: %r", draft.answer, source, found.text)
                return replace(step, passages=[*step.passages, found])
        return step

    def _check(self, draft: Draft, step: Step, reverse: bool) -> tuple[Draft, Verdict]:
        """One answer against the passages it rests on (those naming it first); with
        `reverse`, a yes/no answer they do not state is checked the other way."""
        draft = with_naming_passages(draft, step.passages, step.question.text)
        by_n = step.by_number
        evidence = [evidence_of(by_n[n]) for n in draft.sources]
        if draft.form == "yes_no":
            return self._yes_or_no(draft, evidence, step.question.text, either=reverse)
        return draft, self.verifier.check(draft.answer, evidence, step.question.text)

    def _yes_or_no(self, draft: Draft, evidence: list[Evidence], question: str,
                   either: bool = True) -> tuple[Draft, Verdict]:
        """Which answer to a yes/no question the passages state, the model's first; with
        `either` false, only whether they state the model's.

        A denial on the passages' surface is "no" without asking the model: a small
        model leans to "yes" and seldom reads "did not have" or "denied" as an answer.
        """
        if either and denies(question, evidence):
            return replace(draft, answer="no"), Verdict(True, DENIED, 1.0)
        verdict = self.verifier.check(draft.answer, evidence, question)  # a denied "no" too
        if verdict.entailed or not either:
            return draft, verdict
        other = "no" if draft.answer == "yes" else "yes"
        reverse = self.verifier.check(other, evidence, question)
        if reverse.entailed:
            return replace(draft, answer=other), reverse
        return draft, verdict

    def _per_source(self, draft: Draft, verdict: Verdict, step: Step) -> tuple[Draft, Verdict]:
        """The answer checked against what each article shown says, when the passages the
        model cited do not state it: the model often cites the sentence restating the
        question (or another report's mention of it) rather than the one answering."""
        by_n = step.by_number
        groups = [[p.n for p in group.passages] for group in group_by_source(step.passages)]
        by_relevance = sorted(groups, key=lambda ns: -max(by_n[n].relevance for n in ns))
        stating: list[int] = []
        answer = draft.answer
        for numbers in by_relevance[:PER_SOURCE_CHECKS]:
            if set(numbers) <= set(draft.sources):
                continue  # already part of the failed check
            evidence = [evidence_of(by_n[n]) for n in numbers]
            if draft.form == "yes_no" and not stating:  # either answer, from the first article
                said, found = self._yes_or_no(draft, evidence, step.question.text)
                answer = said.answer
            else:
                found = self.verifier.check(answer, evidence, step.question.text)
            if found.entailed:
                stating.extend(numbers)
                verdict = found
        if not stating:
            return draft, verdict
        return replace(draft, answer=answer, sources=tuple(sorted(stating))), verdict

    def _weigh(self, step: Step) -> Step:
        """The disagreements the answer draws on: other answers (listed by the model, or
        values of the answer's shape that other articles give in its place) that their
        passages state and that differ from it, and denials of what it cites. When the
        reports are dated, the newest one's answer is the answer."""
        draft = step.draft
        if draft is None or step.verdict is None or not step.verdict.entailed or step.parts:
            return step
        started = time.perf_counter()
        by_n = step.by_number
        q = step.question.text
        verdict = step.verdict
        if draft.form == "yes_no" and draft.answer == "yes" and (
                verdict.confidence or 1.0) < self.rival_threshold:
            draft = self._denied_in_same_article(draft, step)
            if draft.answer == "no":
                verdict = Verdict(True, DENIED, 1.0)
        sides = [Claim(by_n[draft.sources[0]], draft.answer)]
        stating = [by_n[n].text for n in draft.sources
                   if draft.answer in by_n[n].text] if draft.form == "short" else []
        restated = False  # a side makes the answer's statement with another value
        candidates = self._other_answers(draft, step)
        for value, sources in candidates:
            if any(same_value(value, side.value or "") for side in sides):
                continue
            evidence = [evidence_of(by_n[n]) for n in sources]
            same_statement = any(restates(text, draft.answer, by_n[sources[0]].text, value)
                                 for text in stating)
            # A small model seldom reads a denial as "no"; the clause covering the question
            # with the other polarity states it on its surface. Nor does it call a passage
            # that reads like the answer's, another value in its place, a statement of that
            # value; the words around the two values show it.
            if value == "no" and draft.form == "yes_no" and denies(q, evidence):
                found = Verdict(True, DENIED, 1.0)
            elif same_statement:
                found = Verdict(True, "the answer's statement with another value", 1.0)
            else:
                found = self.verifier.check(value, evidence, q)
            log.debug("other value %r [%s] (%s): %s", value, sources,
                      "restated" if same_statement else "rival", found.reason)
            # Calling sources divided is a strong claim: it takes a confident verdict.
            if found.entailed and (found.confidence or 1.0) >= self.rival_threshold:
                sides.append(Claim(by_n[sources[0]], value))
                restated = restated or same_statement
        conflicts: list[Conflict] = []
        if len(sides) > 1:
            conflict = of_claims(sides)
            if conflict.kind == "contradiction" and not restated and self.llm is not None \
                    and share_a_name(self.llm, q, sides[0].passage, sides[1].passage):
                conflict = of_claims(sides, same_name=True)
            conflicts.append(conflict)
            newest = conflict.newest
            # The newest report is the current state, unless the question asks what
            # particular sources said.
            if newest is not None and newest.value != draft.answer and not asks_about_sources(
                    q, self.retriever.lexical.outlets()):
                lead = next(numbers for value, numbers in candidates if value == newest.value)
                draft = replace(draft, answer=newest.value or draft.answer, sources=lead)
        # A denial beside what the answer cites (found without a model).
        cited = [by_n[n] for n in draft.sources]
        covered = {frozenset(p.source for p in c.passages) for c in conflicts}
        for denial in find_conflicts(step.passages, self.settings.retrieval.min_relevance):
            pair = frozenset(p.source for p in denial.passages)
            if pair not in covered and any(denial.concerns(p) for p in cited):
                conflicts.append(denial)
                covered.add(pair)
        return replace(step, draft=draft, verdict=verdict, conflicts=tuple(conflicts),
                       weigh_ms=(time.perf_counter() - started) * 1000)

    def _denied_in_same_article(self, draft: Draft, step: Step) -> Draft:
        """A hesitant "yes" gives way to a denial on the surface of the article it cites:
        one article does not disagree with itself, and the model's verdict is the weaker
        of the two signals."""
        by_n = step.by_number
        own = {by_n[n].source for n in draft.sources}
        for p in sorted(step.passages, key=lambda p: -p.relevance):
            if p.source in own and denies(step.question.text, [evidence_of(p)]):
                log.debug("hesitant yes denied by [%d]", p.n)
                return replace(draft, answer="no", sources=(p.n,))
        return draft

    def _other_answers(self, draft: Draft, step: Step) -> list[tuple[str, tuple[int, ...]]]:
        """Answers other passages may give, each with the passages to check it on: what
        the model listed, then values of the answer's shape that other articles'
        passages about the question give in its place (a small model lists none), or
        for yes/no the other answer on the most relevant passage of the other polarity
        (a denial beside a confirmation)."""
        by_n = step.by_number
        candidates = [(o.answer, o.sources) for o in draft.others
                      if not set(o.sources) <= set(draft.sources)]
        if draft.form == "short":
            own = {by_n[n].source for n in draft.sources}
            same_articles = {p.n for p in step.passages if p.source in own}
            stating = [by_n[n].text for n in draft.sources]
            found = counterparts(draft.answer, stating, step.passages, same_articles)
            found += rivals(draft.answer, step.question.text, step.passages, same_articles,
                            stating)
            candidates += [(r.value, (r.passage.n,)) for r in found]
            if not found and self.llm is not None:
                candidates += self._each_article(draft, step, own)
        elif draft.form == "yes_no":
            negated = has_negation(by_n[draft.sources[0]].text)
            opposite = [p for p in sorted(step.passages, key=lambda p: -p.relevance)
                        if p.n not in draft.sources and has_negation(p.text) != negated]
            if opposite:
                other = "no" if draft.answer == "yes" else "yes"
                candidates.append((other, (opposite[0].n,)))
        return candidates

    def _each_article(self, draft: Draft, step: Step, own: set[str]
                      ) -> list[tuple[str, tuple[int, ...]]]:
        """What other articles about the question answer, each drafted over its own
        passages alone (at most `ARTICLES_ASKED`, most relevant first). A value that
        sits in another slot than the answer's ("a Canadian politician" beside "a
        Scottish divine", "date of death 1 December 1737" beside "died on 15 June
        1745") escapes `rivals`; read on its own, one article gives its own answer.
        Each is only a candidate: the verifier still decides whether its article
        states it as the answer to the question."""
        assert self.llm is not None
        q = step.question.text
        others = group_by_source([p for p in step.passages if p.source not in own and
                                  p.relevance >= self.settings.retrieval.min_relevance])
        others.sort(key=lambda group: -max(p.relevance for p in group.passages))
        about = [group.passages for group in others
                 if any(is_about(q, p.text) for p in group.passages)][:ARTICLES_ASKED]
        found: list[tuple[str, tuple[int, ...]]] = []
        for passages in about:
            other, _ = write_draft(self.llm, q, passages, self.settings.llm.max_tokens)
            log.debug("article %s answers %r", passages[0].source, other and other.answer)
            if other is None or other.form != draft.form or NOT_IN_SOURCES.search(
                    other.answer) or same_value(other.answer, draft.answer) or \
                    not comparable(other.answer, draft.answer):
                continue
            found.append((other.answer, other.sources))
        return found

    def _compose(self, step: Step) -> Answer:
        q = step.question
        timings = {"retrieve_ms": round(step.retrieve_ms, 1),
                   "generate_ms": round(step.generate_ms + step.verify_ms + step.weigh_ms, 1),
                   # Of which: looking for other sources' answers and checking them.
                   "weigh_ms": round(step.weigh_ms, 1),
                   "prompt_tokens": step.prompt_tokens,
                   "completion_tokens": step.completion_tokens}
        if step.draft is None or step.verdict is None or not step.verdict.entailed:
            refusal = render("refusal", question=q.text,
                             as_of=q.as_of.isoformat() if q.as_of else None)
            if q.on_token:
                q.on_token(refusal)
            return Answer(refusal, True, [], [], self.backend, timings)
        by_n = step.by_number
        citations = [Citation(n, by_n[n], True) for n in step.draft.sources]
        text = compose_text(step.draft, by_n)
        lead = by_n[step.draft.sources[0]]
        if step.draft.form == "quotes" and lead.published and asks_latest_report(q.text):
            text = f"{render('latest_report', p=lead).strip()} {text}"  # see latest_report
        if step.verdict.reason == DENIED:  # the reader sees the denial the "no" rests on
            denial = next((by_n[n] for n in step.draft.sources if has_negation(by_n[n].text)),
                          None)
            if denial is not None:
                text = f"{text} {render('denial_quote', p=denial).strip()}"
        if step.unstated:
            text = f"{text} {render('clause_unstated', question=step.unstated).strip()}"
        cited = set(step.draft.sources)
        if step.compared:  # the reader sees what the judgement compares
            leads = [max((by_n[n] for n in part.passages if n in cited),
                         key=lambda p: p.relevance) for part in step.parts]
            text = f"{text} {render('compared_sides', passages=leads).strip()}"
        if q.as_of is not None:  # what was published by then, and the answer says so
            text = f"As of {q.as_of.isoformat()}: {text}"
        conflicts = list(step.conflicts)
        for conflict in conflicts:
            # Each side in its own words, with date and outlet, whatever the model wrote.
            text = f"{text} {conflict.note()}"
            for passage in conflict.passages:
                if passage.n not in cited:
                    citations.append(Citation(passage.n, passage, True))
                    cited.add(passage.n)
        citations = self._with_copies(citations)
        if carriers := list(dict.fromkeys(c.outlet or c.source for cite in citations
                                          for c in cite.copies)):
            text = f"{text} {render('carried_by', outlets=carriers).strip()}"
        if q.on_token:
            q.on_token(text)
        return Answer(text, False, citations, conflicts, self.backend, timings)

    def _with_copies(self, citations: list[Citation]) -> list[Citation]:
        """Each citation names the other outlets that carried the same article."""
        store = self.retriever.store
        copies = store.copies.copies_of(list({c.passage.source for c in citations}))
        records = store.sources([name for names in copies.values() for name in names])
        return [replace(c, copies=tuple(
            Carrier(name, records[name].outlet, records[name].url)
            for name in copies[c.passage.source] if name in records)) for c in citations]


def with_naming_passages(draft: Draft, passages: list[Passage], question: str) -> Draft:
    """A short answer rests on the passages that name it.

    A small model often cites the sentence that restates the question ("A spokesman
    denied ...") while the name it answers with stands in another ("... said
    Abdulkarim Khalaf"). A passage names the answer when it holds every content word
    of the answer that the question does not already hold; the model's own choices
    come first among them. With no such passage the draft keeps its citations (and
    the verifier will find the answer's words missing).
    """
    if draft.form != "short":
        return draft
    new = set(terms(draft.answer)) - set(terms(question))
    if not new:
        return draft
    naming = [p.n for p in passages if new <= set(terms(p.text))]
    if not naming:
        return draft
    ordered = [n for n in draft.sources if n in naming] + [n for n in naming
                                                           if n not in draft.sources]
    return replace(draft, sources=tuple(ordered[:MAX_SOURCES]))


def compose_text(draft: Draft, by_n: dict[int, Passage]) -> str:
    """The answer a reader sees: the short answer with its markers, or quoted sentences."""
    markers = "".join(f"[{n}]" for n in draft.sources)
    if draft.form == "quotes":
        return " ".join(with_markers(by_n[n].text, [n]) for n in draft.sources)
    if draft.form == "yes_no":
        return f"{draft.answer.capitalize()} {markers}."
    answer = draft.answer.rstrip(".")
    return f"{answer[:1].upper()}{answer[1:]} {markers}."



def latest_report(passages: list[Passage], min_relevance: float, limit: int = 2
                  ) -> Draft | None:
    """The newest dated article among the relevant passages, its most relevant sentences
    quoted in their order: the answer to "what is the latest on X?". None when no relevant
    passage is dated."""
    dated = [p for p in passages if p.published and p.relevance >= min_relevance]
    if not dated:
        return None
    newest = max(dated, key=lambda p: (p.published or "", p.relevance))
    chosen = sorted((p for p in dated if p.source == newest.source),
                    key=lambda p: -p.relevance)[:limit]
    return Draft("", tuple(p.n for p in sorted(chosen, key=lambda p: p.start)), "quotes")


def extractive_draft(passages: list[Passage], min_relevance: float, limit: int = 2
                     ) -> Draft | None:
    """The most relevant sentences as the answer: a draft with no model."""
    ranked = sorted(passages, key=lambda p: -p.relevance)
    if not ranked:
        return None
    best = ranked[0].relevance
    chosen = [p for p in ranked if p.relevance >= max(min_relevance, 0.85 * best)][:limit]
    return Draft("", tuple(p.n for p in chosen), "quotes")
