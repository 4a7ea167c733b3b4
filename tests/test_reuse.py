"""Reuse sits beside the analysis, not inside its meaning.

``NOTELINT_NO_REUSE=1`` is the reference mode: no memo keeps anything and no long note is
reused for its next version. Each mode runs in its own process (the switch is read at import);
both analyse the same notes in the same order and must give identical reports. Analyses that
run at once in several threads (the language server analyses in two) share the memos and must
give what one thread gives.
"""

from __future__ import annotations

import hashlib
import random
from concurrent.futures import ThreadPoolExecutor

from corpus_notes import analyse_in_child, long_edits, mutants, real_notes
from notelint import analyze
from notelint.core.engine import Engine
from notelint.kb import KnowledgeBase


def _run(texts: list[str], reuse: bool) -> tuple[list[str], int]:
    """A digest of each note's Report, and how many pieces of text the memos then hold."""
    result = analyse_in_child(texts, "NOTELINT_NO_REUSE", not reuse)
    return result["digests"], result["remembered"]


def _digest(text: str, kb: KnowledgeBase, engine: Engine | None = None) -> str:
    return hashlib.sha256(repr(analyze(text, kb, None, engine)).encode()).hexdigest()


def test_reference_mode_keeps_nothing_and_gives_identical_reports() -> None:
    notes = real_notes()
    # Notes twice over, so that the second time every memo answers; long notes edited in turn.
    texts = [*notes, *mutants(notes, 300, seed=5), *notes, *long_edits(notes, 8, seed=5)]
    reused, kept = _run(texts, reuse=True)
    fresh, kept_fresh = _run(texts, reuse=False)
    assert kept > 0 and kept_fresh == 0
    assert len(reused) == len(fresh) == len(texts)
    differing = [i for i, (a, b) in enumerate(zip(reused, fresh, strict=True)) if a != b]
    assert not differing, f"reuse changes the reports of notes {differing[:10]}"


def test_concurrent_analyses_give_what_one_thread_gives(kb: KnowledgeBase) -> None:
    notes = real_notes()
    texts = [*notes, *mutants(notes, 200, seed=11), *long_edits(notes, 4, seed=11)]
    expected = [_digest(t, kb) for t in texts]  # each with a fresh engine: nothing kept
    order = list(range(len(texts))) * 2
    random.Random(11).shuffle(order)
    engine = Engine(kb)  # one engine, shared by four threads, as the server's two share one
    with ThreadPoolExecutor(max_workers=4) as pool:
        got = list(pool.map(lambda i: (i, _digest(texts[i], kb, engine)), order))
    assert engine.remembered() > 0  # the threads did share the memos
    wrong = sorted({i for i, digest in got if digest != expected[i]})
    assert not wrong, f"concurrent analysis changed the reports of notes {wrong[:10]}"


def test_memos_belong_to_engines_never_to_the_rules(kb: KnowledgeBase) -> None:
    from notelint.core.analysis import remembered

    notes = real_notes()[:20]
    engine = Engine(kb)
    for text in notes:
        analyze(text, kb)  # a fresh engine each time: nothing is kept anywhere
        analyze(text, kb, None, engine)
    assert remembered(kb) == 0  # what is compiled from the rules holds no note text
    assert engine.remembered() > 0
    engine.forget()
    assert engine.remembered() == 0


def test_compiled_rules_are_built_once_however_many_threads_ask(kb: KnowledgeBase) -> None:
    import dataclasses

    from notelint.core.compiled_rules import CompiledRules

    rules = dataclasses.replace(kb, compiled=None)  # the same rules, nothing compiled yet

    def tables(_: int) -> tuple[object, ...]:
        compiled = CompiledRules.of(rules)
        return compiled, compiled.matcher, compiled.sections, compiled.recognition, compiled.decide

    with ThreadPoolExecutor(max_workers=4) as pool:
        got = list(pool.map(tables, range(8)))
    assert all(all(a is b for a, b in zip(row, got[0], strict=True)) for row in got)
    assert got[0][0] is rules.compiled and got[0][0] is not kb.compiled
    assert Engine(rules).rules is rules.compiled  # every engine of these rules shares them
