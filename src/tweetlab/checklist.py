"""Behaviour checks for English sentiment models, in the style of CheckList.

Ribeiro et al. (2020), "Beyond Accuracy: Behavioral Testing of NLP Models with
CheckList", test a sentiment model the way one tests software: short cases, each aimed
at one capability, each with the labels a reader would accept. A held-out score says how
often a model is right on tweets like its training data; these say whether it handles
the things every reader handles - "not bad", "very good", an emoji, "but", a question, a
news headline.

The cases are written from templates and word lists here (no file to read), 327 of them
in 8 capabilities; each accepts one or more labels:

* ``vocabulary``: plain positive and negative statements ("The food was great.").
* ``negation``: a negated positive is negative ("The food was not good."), a negated
  negative is not negative ("The food was not bad.": positive or neutral).
* ``intensifier``: "very", "really", "so", "absolutely"... keep the polarity.
* ``emoji``: a neutral statement with a positive or negative emoji takes its polarity.
* ``contrast``: after "but", the second clause decides ("The staff were rude, but the food
  was amazing.").
* ``question``: a question with no opinion in it is neutral.
* ``neutral news``: headlines that report without judging are neutral.
* ``sarcasm-free praise and complaint``: tweet-style praise and complaints with @mentions,
  hashtags and URLs (``tweet form``).

>>> cases = behaviour_cases()
>>> len(cases) > 300, sorted({c.capability for c in cases})[:3]
(True, ['contrast', 'emoji', 'intensifier'])
>>> report = run_checks(lambda texts: ["positive"] * len(texts), cases)
>>> round(report.rates["vocabulary"], 2)
0.5
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

POSITIVE = "positive"
NEGATIVE = "negative"
NEUTRAL = "neutral"

# Words the templates are filled with. Kept to words any English reader knows.
_NOUNS = ["food", "service", "flight", "movie", "phone", "hotel", "game", "show", "team",
          "update", "concert", "book"]
_POS_ADJ = ["good", "great", "amazing", "excellent", "wonderful", "fantastic", "lovely",
            "awesome", "brilliant", "perfect"]
_NEG_ADJ = ["bad", "terrible", "awful", "horrible", "disappointing", "boring", "poor",
            "rubbish", "useless", "annoying"]
_POS_VERB = ["love", "like", "enjoy", "recommend", "adore"]
_NEG_VERB = ["hate", "dislike", "regret", "despise"]
_INTENSIFIERS = ["very", "really", "so", "extremely", "absolutely", "incredibly"]
_POS_EMOJI = ["😍", "😊", "❤️", "👍", "🥰", "😁"]
_NEG_EMOJI = ["😡", "😢", "👎", "😤", "💔", "😞"]
_NEUTRAL_STATEMENTS = ["Just got back from the {n}", "On my way to the {n}",
                       "Watching the {n} tonight", "Picked up the new {n} today",
                       "Heading to the {n} with friends"]
_QUESTIONS = ["Does anyone know what time the {n} starts?", "Where can I buy tickets for the {n}?",
              "Has anyone tried the new {n} yet?", "Which {n} should I pick?",
              "Is the {n} open on Sundays?", "How long does the {n} usually take?",
              "What do you think of the {n}?", "When is the next {n}?",
              "Can someone explain how the {n} works?", "Who is going to the {n} tomorrow?"]
_HEADLINES = [
    "Parliament to vote on the budget bill on Tuesday",
    "Apple to report quarterly results next week",
    "City council meets today to discuss new bus routes",
    "The central bank holds interest rates at 4.5%",
    "New school term begins on September 5",
    "Microsoft announces a developer conference in Seattle",
    "Election results expected by midnight, officials say",
    "Train timetable changes take effect on Monday",
    "The museum opens a new exhibition on Roman coins",
    "Government publishes its annual census figures",
    "Scientists publish a study of ocean temperatures",
    "The mayor will give a press conference at noon",
    "Samsung unveils two new phone models in Seoul",
    "Weather service forecasts rain for the weekend",
    "The league releases next season's fixture list",
    "Airport adds a second terminal shuttle route",
    "Company appoints a new chief financial officer",
    "Library extends its opening hours during exams",
    "Senate committee schedules hearing for Thursday",
    "Census shows the city population at 2.1 million",
]
_NEGATORS_POS = ["The {n} was not {a}.", "The {n} wasn't {a} at all.", "This {n} is not {a}.",
                 "The {n} is not {a}, sadly.", "Honestly the {n} was not {a}."]
_NEGATORS_NEG = ["The {n} was not {a}.", "The {n} wasn't {a} at all.", "This {n} is not {a}.",
                 "Honestly the {n} was not {a}.", "The {n} is not {a} at all."]
_NEGATED_VERBS_POS = ["I don't {v} this {n}.", "I do not {v} the {n}.", "I didn't {v} the {n}."]
_NEGATED_VERBS_NEG = ["I don't {v} this {n}.", "I do not {v} the {n}.",
                      "I didn't {v} the {n} at all."]


@dataclass(frozen=True)
class Case:
    """One behaviour check: the text, its capability and the labels a reader accepts."""

    capability: str
    text: str
    accept: tuple[str, ...]
    test: str  # the template's name inside its capability, e.g. "negated positive"


@dataclass
class CheckReport:
    """Pass rates of one model over the behaviour cases.

    ``rates`` maps each capability (and ``"all"``) to the share of its cases passed;
    ``tests`` the same per (capability, test); ``failures`` lists (case, predicted label).
    """

    rates: dict[str, float]
    tests: dict[tuple[str, str], float]
    counts: dict[str, int]
    failures: list[tuple[Case, str]] = field(default_factory=list)

    def __repr__(self) -> str:
        parts = ", ".join(f"{k} {v:.0%}" for k, v in self.rates.items())
        return f"CheckReport({parts})"


def _fill(templates: Sequence[str], rng: random.Random, count: int, **lists: list[str]) -> list[str]:
    """``count`` distinct texts from the templates, each slot drawn from its list."""
    seen: list[str] = []
    tries = 0
    while len(seen) < count and tries < count * 50:
        tries += 1
        template = rng.choice(templates)
        text = template.format(**{k: rng.choice(v) for k, v in lists.items()})
        if text not in seen:
            seen.append(text)
    return seen


def behaviour_cases(seed: int = 0) -> list[Case]:
    """The behaviour cases, the same for the same ``seed`` (327 with the default lists)."""
    rng = random.Random(seed)
    cases: list[Case] = []

    def add(capability: str, test: str, texts: list[str], *accept: str) -> None:
        cases.extend(Case(capability, t, tuple(accept), test) for t in texts)

    simple = ["The {n} was {a}.", "This {n} is {a}.", "What a {a} {n}.", "Such a {a} {n} today."]
    add("vocabulary", "positive adjective", _fill(simple, rng, 20, n=_NOUNS, a=_POS_ADJ), POSITIVE)
    add("vocabulary", "negative adjective", _fill(simple, rng, 20, n=_NOUNS, a=_NEG_ADJ), NEGATIVE)
    verbs = ["I {v} this {n}.", "I really {v} the {n}.", "We {v} the new {n}."]
    add("vocabulary", "positive verb", _fill(verbs, rng, 10, n=_NOUNS, v=_POS_VERB), POSITIVE)
    add("vocabulary", "negative verb", _fill(verbs, rng, 10, n=_NOUNS, v=_NEG_VERB), NEGATIVE)

    # "not perfect" is faint praise, not a complaint: left out of the negated positives.
    plain_pos = [a for a in _POS_ADJ if a != "perfect"]
    add("negation", "negated positive", _fill(_NEGATORS_POS, rng, 25, n=_NOUNS, a=plain_pos),
        NEGATIVE)
    add("negation", "negated positive verb",
        _fill(_NEGATED_VERBS_POS, rng, 15, n=_NOUNS, v=_POS_VERB), NEGATIVE)
    add("negation", "negated negative", _fill(_NEGATORS_NEG, rng, 25, n=_NOUNS, a=_NEG_ADJ),
        POSITIVE, NEUTRAL)
    add("negation", "negated negative verb",
        _fill(_NEGATED_VERBS_NEG, rng, 10, n=_NOUNS, v=_NEG_VERB), POSITIVE, NEUTRAL)
    for text, accept in [("not bad", (POSITIVE, NEUTRAL)), ("Not bad at all!", (POSITIVE, NEUTRAL)),
                         ("not terrible", (POSITIVE, NEUTRAL)), ("not good", (NEGATIVE,)),
                         ("Not good at all.", (NEGATIVE,)), ("not great", (NEGATIVE,)),
                         ("not happy", (NEGATIVE,)), ("never again", (NEGATIVE,))]:
        add("negation", "plain", [text], *accept)

    intense = ["The {n} was {i} {a}.", "This {n} is {i} {a}!", "{i} {a} {n} tonight"]
    add("intensifier", "positive", _fill(intense, rng, 20, n=_NOUNS, i=_INTENSIFIERS,
                                         a=_POS_ADJ), POSITIVE)
    add("intensifier", "negative", _fill(intense, rng, 20, n=_NOUNS, i=_INTENSIFIERS,
                                         a=_NEG_ADJ), NEGATIVE)

    emoji_t = [s + " {e}" for s in _NEUTRAL_STATEMENTS]
    add("emoji", "positive emoji", _fill(emoji_t, rng, 20, n=_NOUNS, e=_POS_EMOJI), POSITIVE)
    add("emoji", "negative emoji", _fill(emoji_t, rng, 20, n=_NOUNS, e=_NEG_EMOJI), NEGATIVE)

    but_neg = ["The {n} was {p}, but the staff were {q}.",
               "I wanted to like the {n}, but it was {q}.",
               "The {n} looked {p} but turned out {q}."]
    but_pos = ["The {n} was {q}, but the staff were {p}.",
               "I thought I would hate the {n}, but it was {p}.",
               "The start was {q} but the {n} turned out {p}."]
    add("contrast", "positive then negative", _fill(but_neg, rng, 15, n=_NOUNS, p=_POS_ADJ,
                                                   q=_NEG_ADJ), NEGATIVE)
    add("contrast", "negative then positive", _fill(but_pos, rng, 15, n=_NOUNS, p=_POS_ADJ,
                                                   q=_NEG_ADJ), POSITIVE)

    add("question", "no opinion", _fill(_QUESTIONS, rng, 30, n=_NOUNS), NEUTRAL)
    add("neutral news", "headline", list(_HEADLINES), NEUTRAL)

    praise = ["@{h} thanks for the {a} {n}, you made my day! #happy",
              "Loving the {n} from @{h} {e} https://t.co/abc123",
              "@{h} the {n} was {a}, thank you so much!"]
    complaint = ["@{h} the {n} was {q} again, fix it please #fail",
                 "Worst {n} ever @{h} {e} https://t.co/xyz789",
                 "@{h} still waiting, your {n} is {q}"]
    handles = ["united", "delta", "amazon", "netflix", "spotify", "uber"]
    add("tweet form", "praise", _fill(praise, rng, 12, h=handles, n=_NOUNS, a=_POS_ADJ,
                                      e=_POS_EMOJI), POSITIVE)
    add("tweet form", "complaint", _fill(complaint, rng, 12, h=handles, n=_NOUNS, q=_NEG_ADJ,
                                         e=_NEG_EMOJI), NEGATIVE)
    return cases


def run_checks(predict: Callable[[list[str]], Sequence[str]],
               cases: Sequence[Case] | None = None) -> CheckReport:
    """Pass rates of ``predict`` (texts -> labels) over ``cases`` (default: all of them).

    A model whose labels are not negative/neutral/positive (``0``/``1``/``2``, say) is
    scored after its labels are mapped to those names by the caller.
    """
    cases = list(cases if cases is not None else behaviour_cases())
    labels = list(predict([c.text for c in cases]))
    if len(labels) != len(cases):
        raise ValueError(f"predict returned {len(labels)} labels for {len(cases)} texts")
    passed: dict[str, list[bool]] = {}
    per_test: dict[tuple[str, str], list[bool]] = {}
    failures = []
    for case, label in zip(cases, labels, strict=True):
        ok = label in case.accept
        passed.setdefault(case.capability, []).append(ok)
        per_test.setdefault((case.capability, case.test), []).append(ok)
        if not ok:
            failures.append((case, label))
    every = [ok for oks in passed.values() for ok in oks]
    rates = {cap: sum(oks) / len(oks) for cap, oks in passed.items()}
    rates["all"] = sum(every) / len(every)
    counts = {cap: len(oks) for cap, oks in passed.items()}
    counts["all"] = len(every)
    return CheckReport(rates, {k: sum(v) / len(v) for k, v in per_test.items()}, counts,
                       failures)
