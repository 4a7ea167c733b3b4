"""Assertion context in the NegEx/ConText tradition: negated, hypothetical, historical, and
said of someone other than the patient (ConText's experiencer).

Triggers are data (``rules/context.toml``). A forward trigger governs what follows it within
its window of words, a backward trigger what precedes it; a terminator or the sentence end
closes the scope; pseudo-triggers ("negative aspiration", "prior to") mask look-alikes.
"""

from __future__ import annotations

from dataclasses import dataclass

import regex

from notelint.core.candidates import Candidates
from notelint.kb.models import Assertion, Trigger

_WORD = regex.compile(r"\w+")
# A full stop inside a sentence span ("no hematoma. Images saved", on one labelled line) ends
# a trigger's scope as the sentence end would.
_PUNCT_TERMINATOR = regex.compile(r"[;:]|\s[-–—]\s|\.\s")
# Whose or which study it is ("outside CT", "mother's knee") holds for a mention that shares
# the trigger's words; a negation sharing them ("marked with" / "with ultrasound") does not.
_SHARED_WORDS = frozenset({"historical", "other"})
_TERMINATOR_CHARS = ";:-–—."  # every _PUNCT_TERMINATOR match holds one of these
_PRIORITY: dict[str, int] = {"other": 4, "negated": 3, "hypothetical": 2, "historical": 1}


@dataclass(frozen=True, slots=True)
class TriggerHit:
    start: int
    end: int
    assertion: str
    direction: str
    window: int

    def moved(self, by: int) -> TriggerHit:
        return TriggerHit(
            self.start + by, self.end + by, self.assertion, self.direction, self.window
        )


class ContextMatcher:
    def __init__(self, triggers: list[Trigger]) -> None:
        self._triggers = list(triggers)
        self.patterns: list[regex.Pattern[str]] = []
        for trigger in triggers:
            words = sorted(trigger.phrases, key=len, reverse=True)
            alternation = "|".join([*map(_phrase, words), *trigger.patterns])
            self.patterns.append(
                regex.compile(rf"(?<!\w)(?:{alternation})(?!\w)", regex.IGNORECASE)
            )

    def hits(self, scan: Candidates, first: int, start: int, end: int) -> list[TriggerHit]:
        """Trigger occurrences within text[start:end], pseudo-triggers already masking others.

        ``scan`` covers the note, with :attr:`patterns` from number ``first`` on.
        """
        found: list[TriggerHit] = []
        numbers = range(first, first + len(self._triggers))
        for number in scan.may_match_any(numbers, start, end):  # one pass for all triggers
            trigger = self._triggers[number - first]
            for m in scan.finditer(number, start, end):
                found.append(
                    TriggerHit(
                        m.start(), m.end(), trigger.assertion, trigger.direction, trigger.window
                    )
                )
        text = scan.text
        sentence = text[start:end]  # sliced once, not once per character looked for
        if any(char in sentence for char in _TERMINATOR_CHARS):
            for m in _PUNCT_TERMINATOR.finditer(text, start, end):
                found.append(TriggerHit(m.start(), m.end(), "terminate", "both", 0))
        pseudo = [h for h in found if h.assertion == "pseudo"]
        return [
            h
            for h in found
            if h.assertion != "pseudo"
            and not any(p.start <= h.start and h.end <= p.end for p in pseudo)
        ]

    def assertion(self, text: str, hits: list[TriggerHit], start: int, end: int) -> Assertion:
        """The assertion of a mention at text[start:end] given its sentence's trigger hits."""
        best = "present"
        terminators = [h for h in hits if h.assertion == "terminate"]
        for hit in hits:
            if hit.assertion == "terminate" or _PRIORITY[hit.assertion] <= _PRIORITY.get(best, 0):
                continue
            if _governs(text, hit, start, end, terminators):
                best = hit.assertion
        return best  # type: ignore[return-value]


def _governs(
    text: str, hit: TriggerHit, start: int, end: int, terminators: list[TriggerHit]
) -> bool:
    if start <= hit.start and hit.end <= end:
        return True  # "images were not saved": the trigger sits inside the mention
    if hit.assertion in _SHARED_WORDS and hit.start < end and start < hit.end:
        return True  # "outside CT showed": the trigger shares the mention's words
    # A trigger that begins before the mention governs it forward even where the two share a
    # word ("marked with" / "with ultrasound"); one that ends after it, backward.
    if hit.start < start and hit.end <= end and hit.direction in ("forward", "both"):
        gap = (min(hit.end, start), start)
    elif hit.end > end and hit.start >= start and hit.direction in ("backward", "both"):
        gap = (end, max(hit.start, end))
    else:
        return False
    if any(gap[0] <= t.start and t.end <= gap[1] for t in terminators):
        return False
    if hit.end <= start and _leaves_parentheses(text, gap[0], gap[1]):
        return False  # "(trans-isthmic not possible) approach under continuous US"
    return len(_WORD.findall(text, gap[0], gap[1])) <= hit.window


def _leaves_parentheses(text: str, start: int, end: int) -> bool:
    """Whether text[start:end] closes a parenthesis opened before it: a trigger inside an
    aside governs nothing after the aside ends."""
    if ")" not in text[start:end]:
        return False
    depth = 0
    for char in text[start:end]:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth < 0:
                return True
    return False


def _phrase(phrase: str) -> str:
    return r"\s+".join(regex.escape(part) for part in phrase.split())
