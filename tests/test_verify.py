"""The claim verifier: deterministic checks, the model's verdict, and the labelled pairs."""

from __future__ import annotations

from typing import Any

import pytest

from eval.verifier_pairs import load_pairs, score_verifier
from rag.verify import (
    DENIED,
    Evidence,
    LexicalVerifier,
    ModelVerifier,
    counted_terms,
    counts,
    numbers,
    precheck,
    quoting,
    swapped_names,
)
from tests.fakes import ScriptedLLM

WOUNDED = Evidence("Iran's missile attack on Ain al-Asad wounded 50 American troops.",
                   "Outlet, 2020-01-30")
DENIAL = Evidence("An Iraqi government spokesman denied reports on Thursday that joint "
                  "operations had resumed.")
REMOVED = Evidence("OpenAI's board removed Sam Altman as chief executive on Friday, saying he "
                   "had not been consistently candid.")


def test_numbers_are_normalized() -> None:
    assert numbers("about 5,200 troops, fifty wounded, 3.5 percent, 11 missiles.") == {
        "5200", "50", "3.5", "11"}


@pytest.mark.parametrize(("claim", "evidence", "question", "reason"), [
    ("Eleven American troops were wounded.", WOUNDED, None, "number 11"),
    ("11", WOUNDED, "How many troops were wounded?", "number 11"),
    ("Joint operations had resumed.", DENIAL, None, "polarity"),
    ("Mark Esper", DENIAL, "Who denied the reports?", "words are not in the passages"),
    ("Abdulkarim Khalaf", Evidence("Abdulkarim Khalaf, the Iraqi prime minister's "
                                   "spokesman, denied it."),
     "Whose spokesman on military affairs was Abdulkarim Khalaf?", "only repeats"),
    ("2017", Evidence("Before FTX, Bankman-Fried co-founded crypto-trading firm Alameda "
                      "Research in 2017. John J. Ray III took over FTX in November."),
     "In what year did John J. Ray III co-found FTX?", "someone else"),
    # What the question takes for granted, the passage states the other way.
    ("October 3", Evidence("On October 3 Bankman-Fried pleaded not guilty to the fraud "
                           "charges."),
     "On what date did Bankman-Fried plead guilty to the fraud charges?", "premise"),
    # A count where a name is asked for, and a "how many" answer with no number.
    ("50 American troops", WOUNDED,
     "What were the names of the American troops wounded at Ain al-Asad?", "kind of thing"),
    ("50 American troops", WOUNDED, "Who was wounded at Ain al-Asad?", "kind of thing"),
    ("American troops", WOUNDED, "How many were wounded at Ain al-Asad?", "kind of thing"),
])
def test_precheck_rejects_what_the_surface_shows(claim: str, evidence: Evidence,
                                                 question: str | None, reason: str) -> None:
    verdict = precheck(claim, [evidence], question)
    assert verdict is not None and not verdict.entailed and reason in verdict.reason


@pytest.mark.parametrize(("claim", "evidence", "question"), [
    ("Fifty American troops were wounded.", WOUNDED, None),
    ("50", WOUNDED, "How many American troops were wounded?"),
    ("none", Evidence("The attack killed none of the troops."), "How many troops were killed?"),
    ("American troops", WOUNDED, "Who was wounded at Ain al-Asad?"),
    ("Iraq's government denied that joint operations had resumed.", DENIAL, None),
    # The negation sits in another clause than the claim's.
    ("OpenAI's board removed Sam Altman as chief executive.", REMOVED, None),
    ("yes", DENIAL, "Did Iraq deny the reports?"),
    ("October 3", Evidence("On October 3 Bankman-Fried pleaded not guilty to the fraud "
                           "charges."),
     "On what date did Bankman-Fried plead not guilty to the fraud charges?"),
    # The number's sentence names the question's person, or no one.
    ("157", Evidence("Hill caught nine passes for 157 yards against Washington."),
     "How many receiving yards did Tyreek Hill have against the Washington Commanders?"),
    ("2019", Evidence("Sam Bankman-Fried was its chief. He co-founded FTX in 2019."),
     "In what year did Sam Bankman-Fried co-found FTX?"),
    # An answer among the alternatives the question offers.
    ("The Verge", Evidence("The Verge reported the ruling first."),
     "Which outlet reported the ruling first, The Verge or TechCrunch?"),
    # A negation that does not bear on what the question asks decides nothing.
    ("10", Evidence("Dyche says Everton's season will not be derailed by the 10-point "
                    "deduction."), "How many points were Everton deducted?"),
    # A negated question is answered yes by a positive passage.
    ("yes", Evidence("Iraq's army resumed joint operations with the coalition."),
     "Didn't Iraq's army resume joint operations with the coalition?"),
])
def test_precheck_leaves_the_rest_to_the_verdict(claim: str, evidence: Evidence,
                                                 question: str | None) -> None:
    assert precheck(claim, [evidence], question) is None


ESPER = Evidence("Defense Secretary Mark Esper revealed that Washington is trying to bring "
                 "Patriot missile defenses into Iraq.")


def test_model_verdict_is_one_constrained_yes_or_no() -> None:
    # A role swap: the name is in the passage, in another role. Only the verdict can tell.
    llm = ScriptedLLM(verdict="no")
    verdict = ModelVerifier(llm).check("Mark Esper", [ESPER],
                                       "Who is the Defense Secretary's spokesman?")
    assert not verdict.entailed and verdict.reason == "model: p(yes) 0.00"
    (call,) = llm.calls
    assert call.schema == {"type": "string", "enum": ["yes", "no"]}
    assert ESPER.text in call.prompt and "Proposed answer: Mark Esper" in call.prompt
    assert ModelVerifier(ScriptedLLM(verdict="yes")).check(
        "Fifty troops were wounded.", [WOUNDED]).entailed


INJURY = Evidence("Kenneth Walker III will miss Sunday's game with an oblique injury, giving "
                  "rookie Zach Charbonnet his first start at running back.")


def test_names_are_swapped_for_the_passages_other_names() -> None:
    assert swapped_names("Zach Charbonnet will miss Sunday's game.", [INJURY.text]) == [
        "Kenneth Walker III will miss Sunday's game."]  # no weekday taken for a name
    assert swapped_names("A Google lawyer told the court.", [
        "Google paid Apple for the iPhone, a Justice Department lawyer told the court."]) == [
        "A Apple lawyer told the court.", "A Justice Department lawyer told the court."]
    assert swapped_names("Fifty troops were wounded.", [WOUNDED.text]) == []  # no name in both


def test_a_statement_must_read_better_than_with_its_names_swapped() -> None:
    # The small model reads the passage's words back into a role-swapped claim.
    def verdict(prompt: str) -> float:
        return 0.99 if "Claim: Kenneth Walker III will miss" in prompt else 0.87

    llm = ScriptedLLM(verdict=verdict)
    claim = "Zach Charbonnet will miss Sunday's game with an oblique injury."
    found = ModelVerifier(llm).check(claim, [INJURY])
    assert not found.entailed and "Kenneth Walker III" in found.reason
    assert len(llm.verdicts) == 2
    llm = ScriptedLLM(verdict=lambda prompt: 0.2 if "Charbonnet will miss" in prompt else 0.9)
    assert ModelVerifier(llm).check(
        "Kenneth Walker III will miss Sunday's game with an oblique injury.", [INJURY]).entailed
    # An answer to a question is not swapped: one verdict.
    llm = ScriptedLLM(verdict=0.9)
    assert ModelVerifier(llm).check("Kenneth Walker III", [INJURY], "Who will miss the game?"
                                    ).entailed and len(llm.verdicts) == 1


def test_model_is_not_asked_what_the_precheck_rejects() -> None:
    llm = ScriptedLLM(verdict="yes")
    assert not ModelVerifier(llm).check("Eleven troops were wounded.", [WOUNDED]).entailed
    assert llm.calls == []


def test_a_passage_states_its_own_sentence_without_asking_the_model() -> None:
    llm = ScriptedLLM(verdict="no")
    two = Evidence("Talks stalled. " + DENIAL.text)
    for claim in (DENIAL.text, f"  {DENIAL.text.rstrip('.')} ", DENIAL.text.replace(
            "denied reports", "denied  reports")):
        verdict = ModelVerifier(llm).check(claim, [ESPER, two])
        assert verdict.entailed and "word for word" in verdict.reason
    assert llm.calls == []
    curly = Evidence("“We will leave,” the spokesman said.")
    assert ModelVerifier(llm).check('"We will leave," the spokesman said.', [curly]).entailed
    assert ModelVerifier(llm).check("MTV's 'Rob & Big' duo split.",
                                    [Evidence("MTV’s “Rob & Big” duo split.")]).entailed
    # A dateline states nothing; two whole sentences are stated as two.
    for dateline in ("(CNN) ", "SEOUL, South Korea (AP) — ", "UPDATED: "):
        assert ModelVerifier(llm).check("Talks stalled.", [Evidence(dateline + "Talks stalled.")]
                                        ).entailed
    assert ModelVerifier(llm).check(f"Talks stalled. {DENIAL.text}", [two]).entailed
    assert llm.calls == []
    assert quoting("said the talks stalled", ["Trump (Rep) said the talks stalled."]) is None
    assert quoting("Talks stalled. Talks stalled.", ["Talks stalled."]) == [0]
    # A part of the sentence can say the opposite of it: that goes to the checks and the model.
    assert not ModelVerifier(llm).check("Joint operations had resumed.", [DENIAL]).entailed
    assert precheck("The spokesman said.", [curly]) is None
    assert not ModelVerifier(llm).check("The spokesman said.", [curly]).entailed
    assert len(llm.calls) == 1


def test_lexical_verifier_without_a_model() -> None:
    verifier = LexicalVerifier()
    assert verifier.check("Fifty American troops were wounded at Ain al-Asad.", [WOUNDED]).entailed
    assert not verifier.check("Patriot missiles arrived in Baghdad.", [WOUNDED]).entailed


def test_labelled_pairs_are_many_and_half_near_misses() -> None:
    pairs = load_pairs()
    assert len(pairs) >= 150
    assert sum(p.near_miss for p in pairs) >= len(pairs) / 2
    assert all(not p.entailed for p in pairs if p.near_miss)
    assert {"number", "negation", "role", "entity"} <= {p.kind for p in pairs}


def test_lexical_floor_on_the_labelled_pairs() -> None:
    # Term overlap with the number and polarity checks: the baseline the model verifier beats.
    report = score_verifier(LexicalVerifier(), load_pairs())
    assert report.accuracy >= 0.6
    assert report.pairs == len(load_pairs())


class OddsLLM(ScriptedLLM):
    """Reports fixed odds for yes and no, as a backend that reads the model's logits does."""

    def __init__(self, yes: float) -> None:
        super().__init__()
        self.yes = yes

    def choose(self, messages: list, options: Any) -> dict[str, float]:
        return {"yes": self.yes, "no": 1 - self.yes}


@pytest.mark.parametrize(("p_yes", "threshold", "entailed"), [
    (0.65, 0.7, False), (0.75, 0.7, True), (0.75, 0.8, False), (0.55, 0.5, True)])
def test_yes_must_be_likely_enough(p_yes: float, threshold: float, entailed: bool) -> None:
    verdict = ModelVerifier(OddsLLM(p_yes), threshold).check(
        "Fifty troops were wounded.", [WOUNDED])
    assert verdict.entailed is entailed and f"{p_yes:.2f}" in verdict.reason


AIN_AL_ASAD = Evidence("Iran's Jan. 8 missile attack on Ain al-Asad airbase has wounded 50 "
                       "American troops. The United States did not have Patriot air defenses "
                       "deployed to the base, where at least 11 of Iran's ballistic missiles "
                       "struck.")
MISSILES_Q = "How many Iranian ballistic missiles struck Ain al-Asad?"


@pytest.mark.parametrize(("question", "counted"), [
    (MISSILES_Q, {"iranian", "ballistic", "missil"}),
    ("How many American troops were wounded?", {"american", "troop"}),
    ("How many points were Everton deducted?", {"point"}),
    ("How long did the pause last?", set()),
])
def test_what_a_how_many_question_counts(question: str, counted: set[str]) -> None:
    assert counted_terms(question) == counted


def test_a_count_must_be_of_the_thing_asked_about() -> None:
    # Both numbers are in the passage; only one counts missiles.
    assert precheck("11", [AIN_AL_ASAD], MISSILES_Q) is None
    rejected = precheck("50", [AIN_AL_ASAD], MISSILES_Q)
    assert rejected is not None and "no passage counts" in rejected.reason
    assert counts("4", {"touchdown"}, "Brock Purdy threw for 314 yards and four touchdowns")
    assert not counts("314", {"touchdown"}, "Brock Purdy threw for 314 yards and four touchdowns")


PATRIOTS = Evidence("The United States did not have Patriot air defenses deployed to the base, "
                    "where at least 11 of Iran's ballistic missiles struck.")
PATRIOTS_Q = "Did the United States have Patriot air defenses deployed at Ain al-Asad?"


def test_yes_against_a_passage_that_states_no_is_rejected_without_the_model() -> None:
    llm = ScriptedLLM(verdict="yes")
    verdict = ModelVerifier(llm).check("yes", [PATRIOTS], PATRIOTS_Q)
    assert not verdict.entailed and "opposite" in verdict.reason and llm.calls == []
    assert precheck("no", [PATRIOTS], PATRIOTS_Q) is None  # "no" goes to the model
    # A negation in a clause that does not carry the question decides nothing.
    assert precheck("yes", [Evidence("Officials said operations resumed, though no date was "
                                     "given.")], "Have operations resumed?") is None


def test_a_denial_answers_a_yes_no_question_no() -> None:
    from rag.verify import denies

    question = "Have joint operations with the coalition resumed?"
    denial = Evidence("An Iraqi spokesman denied reports that joint operations with the "
                      "coalition had resumed.")
    confirmation = Evidence("Joint operations with the coalition have resumed, the military "
                            "said.")
    assert denies(question, [denial]) and not denies(question, [confirmation])
    assert not denies(question, [Evidence("The weather office did not expect rain.")])
    # The verifier states that "no" the same way, without asking the model (which says no).
    llm = ScriptedLLM(verdict="no")
    verdict = ModelVerifier(llm).check("No", [denial], question)
    assert verdict.entailed and verdict.reason == DENIED and llm.calls == []
    assert not ModelVerifier(llm).check("no", [confirmation], question).entailed


TRIAL = Evidence("The former mayor is on trial for bribery and conspiracy.",
                 "Metro Daily, 2024-03-05")
SENTENCED = Evidence("The former mayor was sentenced on Thursday to six years.",
                     "Metro Daily, 2024-03-08")


def test_a_date_only_the_article_gives_is_not_when_it_happened() -> None:
    # The article's date, and a passage that says nothing of when: rejected unasked.
    rejected = precheck("2024-03-05", [TRIAL], "On what date did the former mayor plead guilty?")
    assert rejected is not None and "no passage says when" in rejected.reason
    # A "today" in a sentence about something else does not date the plea.
    label = "Metro Daily, 2024-03-05"
    today = Evidence("Today his aide testified against the former mayor.", label)
    plea = Evidence("She listed the crimes she had pleaded guilty to.", label)
    assert precheck("2024-03-05", [today, TRIAL, plea],
                    "On what date did the former mayor plead guilty?") is not None
    # "On Thursday" against the report's date does say when: the model decides.
    assert precheck("2024-03-08", [SENTENCED], "When was the former mayor sentenced?") is None
    assert precheck("six years", [SENTENCED], "How long was the mayor's sentence?") is None


def test_a_day_from_the_passage_may_take_its_year_from_the_article() -> None:
    strike = Evidence("The drone strike on Jan. 3 killed the general.", "Metro Daily, 2020-01-16")
    assert precheck("January 3, 2020", [strike], "On what date did the strike kill him?") is None
