"""Whether passages state a claim: deterministic checks first, then an entailment verdict.

`supported` on a citation means this verifier found that the cited passages
state what the answer says. Two kinds of claim are checked:

- a statement ("Iraq's military said joint operations had resumed"), as in
  summaries and extractive answers;
- an answer to a question ("yes", "Abdulkarim Khalaf"), checked as the claim
  it makes about the question as asked, with its year, event and place.

Cheap checks run first and can only reject: a number the claim states that no
passage states (a swapped count), a statement whose polarity the passage
reverses ("resumed" against "denied ... had resumed"), an answer none of whose
words occur in the passages. What they pass goes to the verdict: the model
answering a constrained yes/no (`ModelVerifier`; a statement it accepts must
also read better than with its names swapped for the passages' other names),
or, with no model, the share of the claim's terms the passages hold
(`LexicalVerifier`).
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from rag.answer_kind import fits_kind
from rag.dates import MONTHS
from rag.errors import MalformedReplyError
from rag.llm import LLM
from rag.names import NAME_RUN, runs
from rag.prompting import render
from rag.terms import NEGATIONS, STOP_WORDS, has_negation, terms, words
from rag.timewords import WEEKDAYS, places_in_time

_NUMBER = re.compile(r"(?<![\w.])\d+(?:[.,]\d+)*")
_NUMBER_WORDS = {w: str(i) for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen twenty".split())} | {
    "thirty": "30", "forty": "40", "fifty": "50", "sixty": "60", "seventy": "70",
    "eighty": "80", "ninety": "90", "hundred": "100", "dozen": "12", "single": "1",
    "once": "1", "twice": "2"}
_WORD = re.compile(r"[a-z]+")
LEXICAL_SHARE = 0.6


@dataclass(frozen=True)
class Evidence:
    """One passage as a verifier reads it: its text, and where it is from (outlet, date)."""

    text: str
    label: str = ""


# The reason of a "no" that the passages' own denial states.
DENIED = "the passage denies it"


@dataclass(frozen=True)
class Verdict:
    """Whether the passages state the claim, why, and (from a model) its p(yes)."""

    entailed: bool
    reason: str
    confidence: float | None = None


def numbers(text: str) -> set[str]:
    """The numbers `text` states, normalized: "5,200" -> "5200", "fifty" -> "50"."""
    found = {m[0].replace(",", "").rstrip(".") for m in _NUMBER.finditer(text)}
    found |= {_NUMBER_WORDS[w] for w in _WORD.findall(text.lower()) if w in _NUMBER_WORDS}
    return {n.removesuffix(".0") for n in found}


# "Which club, Arsenal or Chelsea, ...?": the answer is one of the question's own words.
_OFFERS_CHOICES = re.compile(r"\bor\b|\beither\b|\bwhich of\b|\bbetween\b", re.I)
_HOW_MANY = re.compile(r"\bhow many\s+([^?]*)", re.I)
COUNT_WINDOW = 3


def counted_terms(question: str) -> set[str]:
    """What a "how many" question counts: "How many ballistic missiles struck ...?" ->
    {ballistic, missil}. Empty for other questions."""
    match = _HOW_MANY.search(question)
    if not match:
        return set()
    counted: list[str] = []
    for word in words(match.group(1))[:3]:  # up to the first function word
        if word in STOP_WORDS:
            break
        counted.append(word)
    return set(terms(" ".join(counted)))


def counts(number: str, counted: set[str], text: str) -> bool:
    """Whether `text` states `number` of the `counted` thing: one of its terms stands
    within a few words of the number ("at least 11 of Iran's ballistic missiles"), not
    another count nearby ("wounded 50 American troops")."""
    tokens = re.findall(r"[\w'’.,-]+", text)
    for i, token in enumerate(tokens):
        if number in numbers(token):
            window = tokens[max(0, i - COUNT_WINDOW) : i] + tokens[i + 1 : i + 1 + COUNT_WINDOW]
            if counted & set(terms(" ".join(window + [token]))):
                return True
    return False


_CLAUSE = re.compile(r"[,;:()]|\s[-–—]+\s|\b(?:while|but|whereas|although|though|after|"
                     r"before|because|saying|as)\b", re.I)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"“])")


def _covering_clause(claim_terms: set[str], evidence: Sequence[Evidence],
                     sentences: bool = False) -> str:
    """The clause of the passages that holds most of the claim's terms: the one whose
    polarity the claim must share ("removed Altman" is not negated by a later
    "..., saying he had not been candid"). A claim may be several sentences (an
    extractive answer quotes them); a question's clause is one sentence's at most."""
    texts = [t for e in evidence
             for t in (_SENTENCE_END.split(e.text) if sentences else [e.text])]
    clauses = [c for t in texts for c in _CLAUSE.split(t) if c and c.strip()]
    return max(clauses, key=lambda c: len(claim_terms & set(terms(c))))


def precheck(claim: str, evidence: Sequence[Evidence], question: str | None = None
             ) -> Verdict | None:
    """A rejection the claim's surface already shows, or None to leave it to the verdict."""
    if not evidence:
        return Verdict(False, "no passage")
    text = " ".join(e.text for e in evidence)
    stated = numbers(text + " " + " ".join(e.label for e in evidence))  # dates are in labels
    asked = numbers(question or "")
    missing = sorted(numbers(claim) - stated - asked)
    if missing:
        return Verdict(False, f"the passages do not state the number {missing[0]}")
    if question is not None:
        if _dated_by_the_article_alone(claim, question, evidence, asked):
            return Verdict(False, "the date is the article's, and no passage says when it "
                                  "happened")
        if claim.lower() == "yes":
            return _polarity_of_yes(question, evidence)
        if claim.lower() == "no":
            return None
        if not has_negation(claim) and _premise_negated(question, evidence):
            return Verdict(False, "the passage states the question's premise the other way")
        new = set(terms(claim)) - set(terms(question))
        if new and not new & set(terms(text)) and not numbers(claim) & stated:
            return Verdict(False, "the answer's words are not in the passages")
        if terms(claim) and not new and not numbers(claim) - asked \
                and not _OFFERS_CHOICES.search(question):
            # "Whose spokesman was Khalaf?" -> "Abdulkarim Khalaf": the question's own words.
            return Verdict(False, "the answer only repeats the question")
        if len(claim.split()) <= SHORT_ANSWER_WORDS and not fits_kind(claim, question):
            return Verdict(False, "the answer is not the kind of thing the question asks for")
        if _of_someone_else(claim, question, evidence):
            return Verdict(False, "the passages give that number for someone else")
        counted = counted_terms(question)
        answered = numbers(claim) - asked
        if counted and answered and not any(counts(n, counted, text) for n in answered):
            return Verdict(False, f"no passage counts {' '.join(sorted(counted))} "
                                  f"as {sorted(answered)[0]}")
        return None
    if quoting(claim, [e.text for e in evidence]) is not None:
        return Verdict(True, "the claim is the passages' sentences, word for word")
    claim_terms = set(terms(claim))
    if claim_terms and has_negation(claim) != has_negation(
            _covering_clause(claim_terms, evidence)):
        return Verdict(False, "the passage states the opposite polarity")
    return None


# Straight, curly and single quotes are one mark: a model writing JSON turns “Big Black”
# into 'Big Black'.
_QUOTES = str.maketrans({"“": '"', "”": '"', "‘": '"', "’": '"', "'": '"', "„": '"'})
# A dateline or tag before a report's first sentence states nothing: "(CNN) ",
# "SEOUL, South Korea (AP) — ", "UPDATED: ".
_DATELINE = re.compile(r"^(?:(?:[A-Z]{2,}[A-Z .']*,(?:\s[A-Z][\w.']*){0,3}\s)?"
                       r"\((?:[A-Z][\w.]+\s?){1,2}\)\s*(?:[-–—]+\s*)?"
                       r"|(?:UPDATED?|BREAKING|EXCLUSIVE|WATCH|CORRECTION):\s+)")


def _words(sentence: str) -> tuple[str, ...]:
    """A sentence's words as compared word for word: no dateline, and no quote marks or
    closing punctuation around a word."""
    sentence = _DATELINE.sub("", sentence.translate(_QUOTES).strip())
    return tuple(word for word in (w.strip('.!?"') for w in sentence.split()) if word)


def quoting(claim: str, passages: Sequence[str]) -> list[int] | None:
    """The indices of the `passages` whose whole sentences, word for word, make up `claim`
    (one or several, spacing, quote marks, closing punctuation and datelines aside), or None.

    A passage states its own sentences, so no verdict is needed. A part of a sentence is
    not enough ("joint operations had resumed" is in "Iraq denied that joint operations
    had resumed").
    """
    pieces = [(i, piece) for i, text in enumerate(passages)
              for piece in {_words(text), *map(_words, _SENTENCE_END.split(text))} if piece]
    claimed = _words(claim)
    if not claimed:
        return None
    # made[k]: the passages whose sentences make up the claim's first k words
    made: dict[int, list[int]] = {0: []}
    for at in range(len(claimed)):
        if at not in made:
            continue
        for i, piece in pieces:
            after = at + len(piece)
            if after not in made and claimed[at:after] == piece:
                made[after] = [*made[at], i]
    used = made.get(len(claimed))
    return list(dict.fromkeys(used)) if used is not None else None


def _dated_by_the_article_alone(claim: str, question: str, evidence: Sequence[Evidence],
                                asked: set[str]) -> bool:
    """Whether the answer's numbers are all the cited article's date's, none stated by its
    passages, while the sentence telling what the question asks about does not date it
    against the report ("said Thursday"): "On what date did he plead guilty?" is not
    answered by the date of an article saying "he is on trial", nor by a "today" in
    another of its sentences."""
    values = numbers(claim) - asked
    if not values or values & numbers(" ".join(e.text for e in evidence)) \
            or not values <= numbers(" ".join(e.label for e in evidence)):
        return False  # "January 3, 2020": the day is the passage's, the year the article's
    # The sentence telling the event holds the question's terms that few sentences hold
    # (what was done), not only those all of them hold (whom it is about).
    texts = [s for e in evidence for s in _SENTENCE_END.split(e.text)]
    sentences = [set(terms(text)) for text in texts]
    held = Counter(t for s in sentences for t in s)
    asked_terms = set(terms(question))
    weight = [sum(1 / held[t] for t in asked_terms & s) for s in sentences]
    return not places_in_time(texts[weight.index(max(weight))])


COVERED_FOR_POLARITY = 0.5


def denies(question: str, evidence: Sequence[Evidence]) -> bool:
    """Whether the passages answer a yes/no question "no" on their surface: the clause
    covering the question's terms is negated where the question is not ("denied reports
    that joint operations had resumed" against "Have joint operations resumed?")."""
    return _polarity_of_yes(question, evidence) is not None


def _polarity_of_yes(question: str, evidence: Sequence[Evidence]) -> Verdict | None:
    """"Yes" is rejected when the clause that covers the question's terms says the opposite
    ("Did the US have Patriots deployed?" against "the US did not have Patriots deployed").
    Only "yes": one clause of a compound question stated positively does not make it yes,
    but one stated negatively does make it no."""
    clause = _question_clause(question, evidence)
    if clause is not None and has_negation(clause):
        return Verdict(False, "the passage states the opposite of yes")
    return None


def _question_clause(question: str, evidence: Sequence[Evidence]) -> str | None:
    """The clause of the passages that covers the question (at least
    `COVERED_FOR_POLARITY` of its terms), whose polarity can answer it; None when none
    does, or when the question is itself negated ("Didn't she resign?" is answered yes
    by "she resigned")."""
    asked = set(terms(question))
    if not asked or has_negation(question):
        return None
    clause = _covering_clause(asked, evidence, sentences=True)
    return clause if len(asked & set(terms(clause))) / len(asked) >= COVERED_FOR_POLARITY \
        else None


def _names(text: str) -> list[set[str]]:
    """The names of people or groups in `text`, each as its lower-case words: runs of two
    capitalized words or more, or one with a hyphen; a sentence's first word is left out."""
    found = []
    for sentence in _SENTENCE_END.split(text):
        for m in NAME_RUN.finditer(sentence):
            tokens = m.group().split()
            if m.start() == 0:
                tokens = tokens[1:]
            if len(tokens) >= 2 or (tokens and "-" in tokens[0]):
                found.append({t.lower().strip(".'’") for t in tokens})
    return found


SHORT_ANSWER_WORDS = 6


def _of_someone_else(claim: str, question: str, evidence: Sequence[Evidence]) -> bool:
    """Whether every sentence stating the answer's number is about someone other than the
    people the question names: "In what year did John J. Ray III co-found FTX?" is not
    answered by "Before FTX, Bankman-Fried co-founded Alameda Research in 2017". A
    sentence that names no one ("He co-founded it in 2017") is given the benefit."""
    asked = set().union(*_names(question))
    values = numbers(claim) - numbers(question)
    if not asked or not values or len(claim.split()) > SHORT_ANSWER_WORDS:
        return False  # a sentence (a quoted answer) says whose number it is itself
    question_words = {w.lower().strip(".'’") for w in question.split()}
    sentences = [s for e in evidence for s in _SENTENCE_END.split(e.text) if numbers(s) & values]
    return bool(sentences) and all(
        not asked & {w.lower().strip(".,'’\"") for w in s.split()}
        and any(not name & question_words for name in _names(s)) for s in sentences)


NEGATION_SCOPE = 3


def _premise_negated(question: str, evidence: Sequence[Evidence]) -> bool:
    """Whether the passages state what the question takes for granted the other way:
    "On what date did he plead guilty?" against "he pleaded not guilty". Narrower than
    for "yes": the negation must bear on one of the question's own words, within a few
    words after it ("will not be derailed by the deduction" leaves "How many points were
    deducted?" alone)."""
    clause = _question_clause(question, evidence)
    if clause is None:
        return False
    asked = set(terms(question))
    tokens = words(clause)
    return any(word in NEGATIONS and asked & set(terms(" ".join(
        tokens[i + 1 : i + 1 + NEGATION_SCOPE]))) for i, word in enumerate(tokens))


class ClaimVerifier(ABC):
    """Decides whether passages state a claim. Subclasses implement `_decide`."""

    name: str = "verifier"

    def check(self, claim: str, evidence: Sequence[Evidence], question: str | None = None
              ) -> Verdict:
        """Whether `evidence` states `claim` (with `question`: states it as the answer).

        "No" to a yes/no question the passages deny on their surface is stated without
        asking a model (`denies`): a small model seldom reads "denied reports that ..."
        as the answer "no", and the answer step decides such a "no" the same way."""
        if question is not None and claim.strip().lower() == "no" and denies(question, evidence):
            return Verdict(True, DENIED, 1.0)
        return precheck(claim, evidence, question) or self._decide(claim, evidence, question)

    @abstractmethod
    def _decide(self, claim: str, evidence: Sequence[Evidence], question: str | None
                ) -> Verdict:
        """The verdict on a claim the cheap checks let through."""


class LexicalVerifier(ClaimVerifier):
    """No model: most of the claim's content terms must occur in the passages.

    Used with the `extractive` backend, whose claims are passage sentences. An
    answer to a question passes when the passages hold its words (checked above).
    """

    name = "lexical"

    def _decide(self, claim: str, evidence: Sequence[Evidence], question: str | None
                ) -> Verdict:
        if question is not None:
            return Verdict(claim.lower() not in ("yes", "no"), "lexical: answer words present")
        claim_terms = set(terms(claim))
        if not claim_terms:
            return Verdict(False, "lexical: no content terms")
        share = len(claim_terms & set(terms(" ".join(e.text for e in evidence)))) / len(
            claim_terms)
        return Verdict(share >= LEXICAL_SHARE, f"lexical: {share:.2f} of the terms present")


class ModelVerifier(ClaimVerifier):
    """The chat model decides yes or no in one token; "yes" must be likely enough.

    A small model leans to "yes" (it accepted most unrelated claims when asked for
    its single most likely word), so a statement counts as stated only when the
    model's probability of "yes", against "no", reaches `threshold`, and no
    `swapped_names` version of it scores higher; an answer to a question, when it
    reaches `answer_threshold`.
    """

    name = "model"

    def __init__(self, llm: LLM, threshold: float = 0.7, answer_threshold: float = 0.5) -> None:
        self.llm = llm
        self.threshold = threshold
        self.answer_threshold = answer_threshold

    def _decide(self, claim: str, evidence: Sequence[Evidence], question: str | None
                ) -> Verdict:
        try:
            p_yes = self._p_yes(claim, evidence, question)
        except MalformedReplyError:
            return Verdict(False, "model: no verdict")
        # An answer to a long, compound question ("Did A report X, while B reported Y?")
        # never gets a confident yes from a small model, right or wrong: at 0.7 it
        # refused 93% of the answerable MultiHop development questions.
        needed = self.answer_threshold if question is not None else self.threshold
        if p_yes < needed or question is not None:
            return Verdict(p_yes >= needed, f"model: p(yes) {p_yes:.2f}", p_yes)
        for swapped in swapped_names(claim, [e.text for e in evidence]):
            try:
                p_swapped = self._p_yes(swapped, evidence, None)
            except MalformedReplyError:
                continue
            if p_swapped > p_yes:
                return Verdict(False, f"model: p(yes) {p_yes:.2f}, but {p_swapped:.2f} for "
                                      f"{swapped!r}", p_yes)
        return Verdict(True, f"model: p(yes) {p_yes:.2f}", p_yes)

    def _p_yes(self, claim: str, evidence: Sequence[Evidence], question: str | None) -> float:
        messages = [
            {"role": "system", "content": render("verify_system")},
            {"role": "user", "content": render("verify_user", passages=evidence, claim=claim,
                                               question=question)},
        ]
        odds = self.llm.choose(messages, ["yes", "no"])
        total = odds["yes"] + odds["no"]
        return odds["yes"] / total if total else 0.0


# Other names a statement is tried with, at most.
SWAPS = 3
_NOT_NAMES = frozenset(WEEKDAYS) | frozenset(MONTHS)


def swapped_names(claim: str, passages: Sequence[str]) -> list[str]:
    """The statement with a name it shares with the passages put in place by another name
    they give: "Zach Charbonnet will miss Sunday's game" -> "Kenneth Walker III will miss
    Sunday's game", from "Kenneth Walker III will miss Sunday's game ..., giving rookie
    Zach Charbonnet his first start". A small model reads a passage's words back into a
    claim whatever their roles (p(yes) 0.87 for that claim), but a passage that states a
    claim states it better than the claim with its roles swapped."""
    text = " ".join(passages)

    def names(of: str) -> list[str]:
        found = (" ".join(run) for run in runs(of))
        return [n for n in dict.fromkeys(found)  # whole words: not "Phone" of "iPhone"
                if re.split(r"['’]", n.lower())[0] not in _NOT_NAMES
                and re.search(rf"(?<!\w){re.escape(n)}", of)]

    theirs = names(text)
    swaps: list[str] = []
    for mine in (n for n in names(claim) if n in text):
        for other in theirs:
            if other in claim or mine in other or other in mine:
                continue
            swaps.append(re.sub(rf"\b{re.escape(mine)}\b", lambda _, o=other: o, claim))
    return list(dict.fromkeys(swaps))[:SWAPS]


def make_verifier(llm: LLM | None, threshold: float = 0.7, answer_threshold: float = 0.5
                  ) -> ClaimVerifier:
    if llm is None:
        return LexicalVerifier()
    return ModelVerifier(llm, threshold, answer_threshold)
