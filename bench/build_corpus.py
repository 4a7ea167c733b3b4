"""Build a benchmark corpus of procedure notes with realistic variation.

Every note starts from one example note (``fixtures/notes/*.txt`` and, when present beside the
repository, ``../shared/corpus/dev/*.txt``), keeps its title and coding line, and gains sections
taken from other notes until it reaches about the target size. Then it varies: laterality swapped,
measurements and doses changed, headings or the whole note in capitals, Windows line ends,
trailing spaces, extra blank lines, indented lines, Markdown headings. The same seed gives the
same corpus, byte for byte.

``--distinct`` then makes every line of text unique across the corpus, so that nothing one note
teaches the memos (lines, sentences) serves another: each sentence gets a made-up word of its own
before its closing punctuation. The findings of each note are checked against those of the note
before the change (rule, code, element, severity); a line whose change would alter them is left
as it was, and the count of such lines is printed.

    python bench/build_corpus.py OUT_DIR --count 2000 --size 4096 --seed 0
    python bench/build_corpus.py OUT_DIR --count 2000 --size 1500 --distinct
"""

from __future__ import annotations

import argparse
import itertools
import random
import re
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
DEFAULT_SOURCES = (REPO / "fixtures" / "notes", REPO.parent / "shared" / "corpus" / "dev")

# A line that opens a section: "HEADING:", "Heading: text", "## Heading", "**Heading:**".
_HEADING = re.compile(
    r"^[ \t]*(?:#{1,3}[ \t]+|\*\*)?[A-Za-z][A-Za-z0-9 /&()'.-]{1,48}:?(?:\*\*)?:?"
)
_HEADING_LINE = re.compile(
    r"^[ \t]*(?:#{1,3}[ \t]+\S.*|\*\*[^*]+\*\*:?.*|[A-Za-z][A-Za-z0-9 /&()'.-]{1,48}:(?:[ \t].*)?)$"
)
_CODING = re.compile(
    r"^[ \t]*(?:\*\*)?(?:cpt|codes?|coding|billing|charges|hcpcs|procedure codes)\b", re.I
)
_SIDE = re.compile(r"\b(left|right|Left|Right|LEFT|RIGHT|LT|RT)\b")
_SWAP = {
    "left": "right",
    "right": "left",
    "Left": "Right",
    "Right": "Left",
    "LEFT": "RIGHT",
    "RIGHT": "LEFT",
    "LT": "RT",
    "RT": "LT",
}
_MEASURE = re.compile(
    r"\b(\d+(?:\.\d+)?)(\s?)(cm|mm|mL|ml|mg|mcg|G|gauge|minutes|min|seconds|degrees|MHz)\b"
)


@dataclass(frozen=True)
class Note:
    """A source note cut into sections: title lines, body sections, coding lines."""

    title: str
    body: tuple[str, ...]
    coding: str


def split_sections(text: str) -> Note:
    """Cut a note at its headings; the coding section (CPT/codes/billing) is kept apart."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").strip("\n").split("\n")
    blocks: list[list[str]] = [[]]
    for line in lines:
        opens = bool(_HEADING_LINE.match(line)) and not line.strip().startswith(("-", "*  "))
        if opens and blocks[-1] and any(x.strip() for x in blocks[-1]):
            blocks.append([])
        blocks[-1].append(line)
    texts = ["\n".join(b).strip("\n") for b in blocks if any(x.strip() for x in b)]
    coding = [t for t in texts if _CODING.match(t)]
    rest = [t for t in texts if not _CODING.match(t)]
    title = rest[0] if rest and len(rest[0]) < 80 and ":" not in rest[0].split("\n")[0] else ""
    body = tuple(rest[1:] if title else rest)
    return Note(title=title, body=body, coding="\n".join(coding))


def missing_sources(dirs: Sequence[Path] = DEFAULT_SOURCES) -> list[Path]:
    """Default source folders that are absent (``../shared`` beside the repository)."""
    return [d for d in dirs if not d.is_dir()]


def warn_missing_sources(who: str) -> None:
    """Say loudly that fewer source notes are used than the defaults name: figures measured
    on a smaller set of sources are not comparable with others."""
    for folder in missing_sources():
        print(
            f"{who}: WARNING: source folder {folder} is absent: using fewer source notes than "
            "the default; figures are not comparable with runs that had it",
            file=sys.stderr,
        )


def load_sources(dirs: Sequence[Path] = DEFAULT_SOURCES) -> list[Note]:
    notes = []
    for directory in dirs:
        for path in sorted(directory.glob("*.txt")):
            text = path.read_bytes().decode("utf-8", errors="replace")
            notes.append(split_sections(text))
    if not notes:
        raise SystemExit("build_corpus: no source notes found in " + ", ".join(map(str, dirs)))
    return notes


def _swap_sides(text: str) -> str:
    return _SIDE.sub(lambda m: _SWAP[m.group(1)], text)


def _vary_numbers(text: str, rng: random.Random) -> str:
    def one(m: re.Match[str]) -> str:
        value, space, unit = m.group(1), m.group(2), m.group(3)
        if "." in value:
            decimals = len(value.split(".")[1])
            new = max(0.1, float(value) * rng.uniform(0.6, 1.6))
            return f"{new:.{decimals}f}{space}{unit}"
        number = int(value)
        if unit in {"G", "gauge"}:  # needle sizes stay plausible
            return f"{rng.choice((11, 14, 16, 17, 18, 20, 21, 22, 25, 27))}{space}{unit}"
        return f"{max(1, round(number * rng.uniform(0.5, 1.8)))}{space}{unit}"

    return _MEASURE.sub(one, text)


def _heading_case(text: str, change: Callable[[str], str]) -> str:
    out = []
    for line in text.split("\n"):
        m = _HEADING.match(line)
        if m and m.group(0).rstrip().endswith((":", "**")):
            out.append(change(m.group(0)) + line[m.end() :])
        else:
            out.append(line)
    return "\n".join(out)


def _markdown_headings(text: str) -> str:
    out = []
    for line in text.split("\n"):
        m = re.match(r"^([A-Z][A-Za-z /&-]{1,40}):\s*(.*)$", line)
        out.append(f"**{m.group(1)}:** {m.group(2)}".rstrip() if m else line)
    return "\n".join(out)


def make_note(sources: Sequence[Note], rng: random.Random, size: int) -> str:
    """One note of about ``size`` characters (±20%)."""
    base = rng.choice(sources)
    target = int(size * rng.uniform(0.8, 1.2))
    body = list(base.body)
    donors = [s for note in sources if note is not base for s in note.body]
    length = len(base.title) + len(base.coding) + sum(len(s) + 2 for s in body)
    while length < target and donors:
        section = rng.choice(donors)
        if length + len(section) > target * 1.1 and length > target * 0.85:
            break
        if rng.random() < 0.5:
            section = _vary_numbers(section, rng)
        body.insert(rng.randint(1 if body else 0, len(body)), section)
        length += len(section) + 2
    sep = "\n\n" if rng.random() < 0.4 else "\n"
    parts = ([base.title] if base.title else []) + body + ([base.coding] if base.coding else [])
    text = sep.join(parts)

    if rng.random() < 0.5:
        text = _swap_sides(text)
    if rng.random() < 0.5:
        text = _vary_numbers(text, rng)
    roll = rng.random()
    if roll < 0.1:
        text = text.upper()
    elif roll < 0.3:
        text = _heading_case(text, str.upper)
    elif roll < 0.35:
        text = _heading_case(text, str.title)
    elif roll < 0.45:
        text = _markdown_headings(text)
    lines = text.split("\n")
    if rng.random() < 0.3:
        lines = [ln + " " * rng.randint(1, 3) if ln and rng.random() < 0.3 else ln for ln in lines]
    if rng.random() < 0.15:
        lines = ["\t" + ln if ln and rng.random() < 0.2 else ln for ln in lines]
    if rng.random() < 0.2:
        lines = [x for ln in lines for x in ([ln, ""] if ln and rng.random() < 0.15 else [ln])]
    newline = "\r\n" if rng.random() < 0.2 else "\n"
    return newline.join(lines) + newline


def build_corpus(
    count: int, *, seed: int = 0, size: int = 4096, sources: Sequence[Note] | None = None
) -> list[str]:
    """``count`` notes, deterministic for a given seed and set of source notes."""
    rng = random.Random(seed)
    pool = list(sources) if sources is not None else load_sources()
    return [make_note(pool, rng, size) for _ in range(count)]


# --- distinct notes ---------------------------------------------------------------------------

_SENTENCE_END = re.compile(r"([.!?;])(?=\s|$)")
_LETTERS = "bcdfghjklmnpqrstvwxz"


def made_up_word(number: int) -> str:
    """A word no rule knows, unique per number: ``qv`` and consonants (no vowel, no English)."""
    out = ""
    while True:
        number, digit = divmod(number, len(_LETTERS))
        out += _LETTERS[digit]
        if number == 0:
            return "qv" + out


def perturb_line(line: str, words: Iterator[str]) -> str:
    """Every sentence of ``line`` with a word of its own before its closing punctuation, or at
    the end of the line; blank lines, and lines without letters, stay as they are."""
    if not any(c.isalpha() for c in line):
        return line
    body = line.rstrip()
    changed = _SENTENCE_END.sub(lambda m: f" {next(words)}{m.group(1)}", body)
    if changed == body or not _SENTENCE_END.search(body[-1:]):
        changed += f" {next(words)}"
    return changed + line[len(body) :]


def _findings(text: str, analyse: Callable[[str], Any]) -> list[tuple[str, ...]]:
    report = analyse(text)
    return sorted(
        (f.rule, f.code or "", f.element or "", f.severity.label) for f in report.findings
    )


class Distinct:
    """Makes notes share no line, checking that each note's findings do not change."""

    def __init__(self) -> None:
        from notelint.core.analysis import analyze
        from notelint.kb import load_knowledge_base

        kb = load_knowledge_base()
        self._analyse = lambda text: analyze(text, kb)
        self._words = (made_up_word(n) for n in itertools.count())
        self.kept = 0  # lines left unchanged: changing them would alter the findings

    def __call__(self, text: str) -> str:
        # analyze without an engine keeps nothing: the check leans on no earlier note
        newline = "\r\n" if "\r\n" in text else "\n"
        lines = text.split(newline)
        want = _findings(text, self._analyse)
        changed = [perturb_line(line, self._words) for line in lines]
        if _findings(newline.join(changed), self._analyse) == want:
            return newline.join(changed)
        return self._line_by_line(lines, want, newline)  # rare: keep what changes nothing

    def _line_by_line(self, lines: list[str], want: list[tuple[str, ...]], newline: str) -> str:
        out = list(lines)
        for n, line in enumerate(lines):
            trial = perturb_line(line, self._words)
            if trial == line:
                continue
            candidate = [*out[:n], trial, *out[n + 1 :]]
            if _findings(newline.join(candidate), self._analyse) == want:
                out = candidate
            else:
                self.kept += 1
        return newline.join(out)


def shared_lines(notes: Sequence[str]) -> int:
    """Lines with letters that occur in more than one note."""
    seen: dict[str, int] = {}
    for number, text in enumerate(notes):
        for line in set(text.splitlines()):
            if any(c.isalpha() for c in line):
                seen[line] = number if seen.get(line, number) == number else -1
    return sum(1 for owner in seen.values() if owner == -1)


def write_corpus(out_dir: Path, notes: Sequence[str]) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    for old in out_dir.glob("note-*.txt"):
        old.unlink()
    paths = []
    for i, text in enumerate(notes, start=1):
        path = out_dir / f"note-{i:06d}.txt"
        path.write_bytes(text.encode("utf-8"))
        paths.append(path)
    return paths


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("out_dir", type=Path, help="folder for note-NNNNNN.txt (old ones replaced)")
    parser.add_argument("--count", type=int, default=2000, help="number of notes (default 2000)")
    parser.add_argument("--size", type=int, default=4096, help="target bytes per note (±20%%)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--source", type=Path, action="append", help="source note folder (repeatable)"
    )
    parser.add_argument(
        "--distinct", action="store_true", help="no line shared between notes, same findings"
    )
    args = parser.parse_args(argv)
    if args.count < 0 or args.size <= 0:
        parser.error("--count must be >= 0 and --size > 0")
    if not args.source:
        warn_missing_sources("build_corpus")
    sources = load_sources(args.source or [d for d in DEFAULT_SOURCES if d.is_dir()])
    notes = build_corpus(args.count, seed=args.seed, size=args.size, sources=sources)
    if args.distinct:
        distinct = Distinct()
        notes = [distinct(text) for text in notes]
        print(
            f"build_corpus: distinct: {distinct.kept} line(s) left as they were (changing them "
            f"changed findings); {shared_lines(notes)} line(s) still shared between notes"
        )
    paths = write_corpus(args.out_dir, notes)
    sizes = [p.stat().st_size for p in paths]
    mean = sum(sizes) / len(sizes) if sizes else 0.0
    print(
        f"build_corpus: {len(paths)} notes in {args.out_dir} from {len(sources)} sources, "
        f"mean {mean:.0f} bytes, min {min(sizes, default=0)}, max {max(sizes, default=0)}, "
        f"seed {args.seed}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
