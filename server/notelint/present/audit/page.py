"""The audit page: an :class:`~notelint.present.audit.aggregate.Audit` as one self-contained HTML
page with inline SVG charts, no scripts, fonts or network.

Every piece of HTML is a :class:`~notelint.present.audit.template.Template`, whose values are
escaped unless they are another template's output, so no text from the input or the knowledge
base reaches the page unescaped (``tests/test_audit.py`` checks that this module writes HTML
nowhere else).

Privacy: by default the page names notes only as "note 1..N". Paths and resource ids appear only
with ``include_paths``; finding messages and excerpts only with ``include_excerpts``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from notelint.kb import KnowledgeBase
from notelint.present.audit.aggregate import Audit, CodeStat, MonthStat, RequirementStat
from notelint.present.audit.read import SEVERITIES, FindingRecord, NoteRecord
from notelint.present.audit.template import EMPTY, Markup, Template, join

# --- rendering ---------------------------------------------------------------------------------

COLOURS = {
    "present": "#2f6f9f",
    "missing": "#d9822b",
    "unchecked": "#c9ced4",
    "error": "#b42318",
    "warning": "#d9822b",
    "information": "#2f6f9f",
    "hint": "#8a94a3",
    "unknown": "#5b6470",
}
SEVERITY_MEANING = {
    "error": "a likely billing problem: the codes conflict with the note or the coding rules",
    "warning": "documentation that a code requires is missing, or a code is doubtful",
    "information": "worth a look, for example a code the note supports but nobody reported",
    "hint": "a suggestion",
    "unknown": "a severity this version of notelint does not know",
}
CATEGORY_NAMES = {
    "documentation": "missing documentation",
    "coding": "codes",
    "bundling": "bundling",
    "units": "units",
    "necessity": "medical necessity",
    "performer": "who performed it",
    "modifier": "modifiers",
    "consistency": "consistency",
    "input": "unreadable input",
}
PROFILE_NAMES = {"cpt": "CPT coding manual", "ash": "CPT coding manual plus the ASH guideline"}
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
MAX_NOTE_ROWS = 2000
TOP_GAPS = 10

CSS = """
:root { --ink: #1d2530; --muted: #5b6470; --line: #dde1e6; --soft: #f4f6f8; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--ink); background: #fff; line-height: 1.45;
  font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1060px; margin: 0 auto; padding: 28px 32px 48px; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 20px; margin: 36px 0 6px; padding-top: 12px; border-top: 1px solid var(--line); }
h3 { font-size: 16px; margin: 22px 0 4px; }
p { margin: 4px 0 10px; }
.lead { color: var(--muted); margin-bottom: 18px; }
.explain { color: var(--muted); max-width: 760px; }
.cards { display: grid; grid-template-columns: repeat(4, 1fr); gap: 14px; margin: 18px 0 8px; }
.card { background: var(--soft); border-radius: 8px; padding: 14px 16px; }
.card .big { font-size: 30px; font-weight: 700; }
.card .what { font-weight: 600; }
table { border-collapse: collapse; width: 100%; margin: 8px 0 6px; }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-size: 13px; color: var(--muted); font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.bar { width: 190px; }
a { color: #1f5a85; }
.code { font-weight: 700; font-variant-numeric: tabular-nums; }
.legend { display: flex; gap: 18px; flex-wrap: wrap; font-size: 13px; color: var(--muted); margin: 6px 0; }
.swatch { display: inline-block; width: 11px; height: 11px; border-radius: 2px; margin-right: 5px;
  vertical-align: -1px; }
tr.group td { background: var(--soft); border-bottom: 0; padding-top: 10px; }
.sub { color: var(--muted); font-size: 13px; }
.empty { color: var(--muted); font-style: italic; }
td.item { min-width: 260px; }
.rule { border-top: 1px solid var(--line); padding: 8px 0 4px; }
.rule h3 { margin: 4px 0; }
dl { display: grid; grid-template-columns: 150px 1fr; gap: 4px 12px; margin: 6px 0; }
dt { color: var(--muted); }
dd { margin: 0; }
details summary { cursor: pointer; font-weight: 600; margin: 8px 0; }
q { color: #6b3d00; }
svg.chart { max-width: 100%; height: auto; }
td ul { margin: 0; padding-left: 18px; }
td li { margin-bottom: 3px; }
footer { margin-top: 40px; color: var(--muted); font-size: 13px; }
@media print { h2 { break-after: avoid; } .rule, tr { break-inside: avoid; } }
@media (max-width: 800px) { .cards { grid-template-columns: repeat(2, 1fr); } }
"""


@dataclass(frozen=True)
class PageOptions:
    profile: str = "cpt"
    include_paths: bool = False
    include_excerpts: bool = False
    generated: str = ""
    skipped_lines: int = 0


# --- text: plain strings, escaped where a template takes them ----------------------------------


def _pct(part: int, whole: int) -> str:
    return f"{round(100 * part / whole)}%" if whole else "–"


def _plural(count: int, word: str, plural: str | None = None) -> str:
    return f"{count} {word if count == 1 else (plural or word + 's')}"


def _month_name(month: str) -> str:
    year, number = month.split("-")
    return f"{MONTHS[int(number) - 1]} {year}"


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def _px(value: float) -> str:
    return f"{value:.1f}"


# --- small pieces ------------------------------------------------------------------------------

RULE_LINK = Template('<a href="#rule-$rule">$rule</a>')
SWATCH = Template('<span><span class="swatch" style="background:$colour"></span>$text</span>')
LEGEND = Template('<div class="legend">$items</div>')
BAR_PART = Template(
    '<rect x="$x" y="0" width="$width" height="$height" fill="$colour"><title>$text</title></rect>'
)
BAR = Template(
    '<svg role="img" aria-label="$label" width="$width" height="$height" '
    'viewBox="0 0 $width $height"><rect width="$width" height="$height" fill="#eef0f3"/>'
    "$parts</svg>"
)


def _rule_link(rule: str) -> Markup:
    return RULE_LINK(rule=rule)


def _swatch(colour: str, text: str) -> Markup:
    return SWATCH(colour=colour, text=text)


def _legend(items: Iterable[tuple[str, str]]) -> Markup:
    return LEGEND(items=join(_swatch(c, t) for c, t in items))


def svg_bar(parts: Sequence[tuple[int, str, str]], total: int, width: int = 180) -> Markup:
    """A stacked horizontal bar: parts are (value, colour, description), scaled to ``total``."""
    height, x, rects = 16, 0.0, []
    for value, colour, text in parts:
        w = width * value / total if total else 0
        if w > 0:
            rects.append(BAR_PART(x=_px(x), width=_px(w), height=height, colour=colour, text=text))
        x += w
    label = "; ".join(t for v, _, t in parts if v)
    return BAR(label=label, width=width, height=height, parts=join(rects))


# --- headline ----------------------------------------------------------------------------------

CARD = Template(
    '<div class="card"><div class="big">$big</div><div class="what">$what</div>'
    '<div class="sub">$sub</div></div>'
)
CARDS = Template('<div class="cards">$cards</div>')
INTRO = Template(
    '<p class="lead">notelint read each procedure note and checked whether it documents what '
    "its image-guidance code requires, for example that images of the site were saved and "
    "interpreted. This page summarises those checks for $notes against the $profile. "
    "Each finding links to an explanation in the appendix.</p>"
)


def _headline(audit: Audit) -> Markup:
    cards = [
        (str(audit.notes), "notes reviewed", _dated(audit)),
        (
            str(audit.with_findings),
            "notes with at least one finding",
            f"{_pct(audit.with_findings, audit.notes)} of the notes reviewed",
        ),
        (
            _pct(audit.complete, audit.assessed),
            "guidance documentation complete",
            f"{audit.complete} of {_plural(audit.assessed, 'note')} with an image-guidance code "
            "document everything the code requires",
        ),
        (
            _pct(audit.elements_present, audit.elements_total),
            "required items documented",
            f"{audit.elements_present} of {audit.elements_total} required items, "
            "counted per note and code",
        ),
    ]
    return CARDS(cards=join(CARD(big=big, what=what, sub=sub) for big, what, sub in cards))


def _dated(audit: Audit) -> str:
    if not audit.months:
        return "no note dates in the input"
    first, last = _month_name(audit.months[0].month), _month_name(audit.months[-1].month)
    span = first if first == last else f"{first} to {last}"
    return f"dated {span}" + (f"; {audit.undated} without a date" if audit.undated else "")


def _intro(audit: Audit, options: PageOptions) -> Markup:
    return INTRO(
        notes=_plural(audit.notes, "note"),
        profile=PROFILE_NAMES.get(options.profile, options.profile),
    )


# --- completeness by code ----------------------------------------------------------------------

REQUIREMENT_ROW = Template(
    '<tr><td class="item">$label</td><td>$rule</td><td class="num">$present</td>'
    '<td class="num">$missing</td><td class="num">$share</td><td class="bar">$bar</td></tr>'
)
CODE_HEAD = Template(
    '<tr class="group"><td colspan="6"><span class="code">$code</span> $description'
    '<div class="sub">$checked</div>$not_assessed</td></tr>'
)
NOT_ASSESSED = Template(
    '<div class="sub">$notes report$s $code without its documentation being checked: the '
    "narrative does not support the code, or the main procedure's code already includes the "
    'guidance (see <a href="#rules">findings by rule</a>).</div>'
)
COMPLETENESS = Template(
    '<h2 id="completeness">Documentation completeness by code</h2>'
    '<p class="explain">For every image-guidance code that a note reports or supports, the '
    "note must document certain items. Each row counts the notes with that code where the "
    "item is documented and where it is missing.</p>$legend$body"
)
NO_CODES = Template('<p class="empty">No note reports or supports an image-guidance code.</p>')
COMPLETENESS_TABLE = Template(
    '<table class="groups"><thead><tr><th>What the note must document</th><th>Rule</th>'
    '<th class="num">Documented</th><th class="num">Missing</th>'
    '<th class="num">Share documented</th><th></th></tr></thead><tbody>$rows</tbody></table>'
)


def _requirement_row(item: RequirementStat) -> Markup:
    req, total = item.requirement, item.present + item.missing
    bar = svg_bar(
        [
            (item.present, COLOURS["present"], f"documented in {item.present}"),
            (item.missing, COLOURS["missing"], f"missing in {item.missing}"),
        ],
        total,
    )
    return REQUIREMENT_ROW(
        label=_sentence(req.label),
        rule=_rule_link(req.rule),
        present=item.present,
        missing=item.missing,
        share=_pct(item.present, total),
        bar=bar,
    )


def _code_rows(stat: CodeStat) -> Markup:
    if stat.assessed:
        checked = (
            f"checked in {_plural(stat.assessed, 'note')}; {stat.complete} "
            f"({_pct(stat.complete, stat.assessed)}) document everything below"
        )
    else:
        checked = "documentation not checked in any note"
    head = CODE_HEAD(
        code=stat.code,
        description=stat.description,
        checked=checked,
        not_assessed=_not_assessed(stat),
    )
    rows = (_requirement_row(item) for item in stat.requirements if stat.assessed)
    return join([head, *rows])


def _not_assessed(stat: CodeStat) -> Markup:
    if not stat.not_assessed:
        return EMPTY
    return NOT_ASSESSED(
        notes=_plural(stat.not_assessed, "more note"),
        s="s" if stat.not_assessed == 1 else "",
        code=stat.code,
    )


def _completeness(audit: Audit) -> Markup:
    legend = _legend([(COLOURS["present"], "documented"), (COLOURS["missing"], "missing")])
    if not audit.codes:
        return COMPLETENESS(legend=legend, body=NO_CODES())
    rows = join(_code_rows(stat) for stat in audit.codes)
    return COMPLETENESS(legend=legend, body=COMPLETENESS_TABLE(rows=rows))


# --- most frequent gaps ------------------------------------------------------------------------

GAPS = Template(
    '<h2 id="gaps">Most frequent gaps</h2>'
    '<p class="explain">The required items missing most often, with the share of the notes '
    "carrying that code that miss it. Fixing the top rows closes most of the gaps.</p>$body"
)
NO_GAPS = Template('<p class="empty">No documentation gaps: every checked note is complete.</p>')
GAP_ROW = Template(
    '<tr><td class="item">$label</td><td class="code">$code</td><td>$rule</td>'
    '<td class="num">$missing</td><td class="num">$share of $assessed</td>'
    '<td class="bar">$bar</td></tr>'
)
GAP_TABLE = Template(
    "<table><thead><tr><th>Missing item</th><th>Code</th><th>Rule</th>"
    '<th class="num">Notes missing it</th><th class="num">Share of notes with the code</th>'
    "<th></th></tr></thead><tbody>$rows</tbody></table>$tail"
)
MORE = Template('<p class="explain">$more not shown.</p>')


def _gap_section(audit: Audit) -> Markup:
    if not audit.gaps:
        return GAPS(body=NO_GAPS())
    top = max(g.missing for g in audit.gaps)
    rows = join(
        GAP_ROW(
            label=_sentence(g.requirement.label),
            code=g.code,
            rule=_rule_link(g.requirement.rule),
            missing=g.missing,
            share=_pct(g.missing, g.assessed),
            assessed=g.assessed,
            bar=svg_bar([(g.missing, COLOURS["missing"], f"missing in {g.missing}")], top),
        )
        for g in audit.gaps[:TOP_GAPS]
    )
    more = len(audit.gaps) - TOP_GAPS
    tail = MORE(more=_plural(more, "less frequent gap")) if more > 0 else EMPTY
    return GAPS(body=GAP_TABLE(rows=rows, tail=tail))


# --- findings by rule --------------------------------------------------------------------------

RULES = Template(
    '<h2 id="rules">Findings by rule and severity</h2>'
    '<p class="explain">Every finding, grouped by the rule that raised it. A note can have '
    'several findings. Severity says how urgent a finding is:</p><ul class="explain">$meanings'
    "</ul>$body"
)
MEANING = Template("<li>$swatch: $meaning</li>")
NO_FINDINGS = Template('<p class="empty">No findings.</p>')
RULES_TABLE = Template(
    "<table><thead><tr><th>Rule</th><th>What it means</th>$columns"
    '<th class="num">Total</th><th></th></tr></thead><tbody>$rows</tbody></table>'
)
NUMBER_HEAD = Template('<th class="num">$text</th>')
NUMBER = Template('<td class="num">$value</td>')
RULE_ROW = Template(
    "<tr><td>$rule</td><td>$summary</td>$cells"
    '<td class="num">$total</td><td class="bar">$bar</td></tr>'
)


def _rule_summary(kb: KnowledgeBase, rule: str) -> str:
    spec = kb.rules.get(rule)
    return spec.summary if spec else "not in this knowledge base (an organisation's own rule?)"


def _severities(counts: Counter[str]) -> list[str]:
    return [s for s in (*SEVERITIES, "unknown") if counts.get(s)]


def _rules_section(audit: Audit, kb: KnowledgeBase) -> Markup:
    meanings = join(
        MEANING(swatch=_swatch(COLOURS[s], s), meaning=SEVERITY_MEANING[s]) for s in SEVERITIES
    )
    if not audit.by_rule:
        return RULES(meanings=meanings, body=NO_FINDINGS())
    top = max(sum(c.values()) for c in audit.by_rule.values())
    ordered = sorted(audit.by_rule.items(), key=lambda kv: (-sum(kv[1].values()), kv[0]))
    rows = join(_rule_row(kb, rule, counts, top) for rule, counts in ordered)
    columns = join(NUMBER_HEAD(text=s.capitalize()) for s in SEVERITIES)
    return RULES(meanings=meanings, body=RULES_TABLE(columns=columns, rows=rows))


def _rule_row(kb: KnowledgeBase, rule: str, counts: Counter[str], top: int) -> Markup:
    total = sum(counts.values())
    parts = [(counts[s], COLOURS[s], f"{counts[s]} {s}") for s in _severities(counts)]
    return RULE_ROW(
        rule=_rule_link(rule),
        summary=_rule_summary(kb, rule),
        cells=join(NUMBER(value=counts.get(s, 0) or "") for s in SEVERITIES),
        total=total,
        bar=svg_bar(parts, top, 160),
    )


# --- trend by month ----------------------------------------------------------------------------

TREND_CHART = Template(
    '<svg class="chart" role="img" aria-label="Notes per month and the share fully documented" '
    'width="$width" height="$height" viewBox="0 0 $width $height" '
    'font-family="system-ui, sans-serif">$body</svg>'
)
MONTH_LABEL = Template(
    '<text x="$x" y="$y" text-anchor="middle" font-size="12" fill="#5b6470">$month</text>'
)
GRID_LINE = Template(
    '<line x1="$left" x2="$right" y1="$y" y2="$y" stroke="#dde1e6"/><text x="$text_x" '
    'y="$text_y" text-anchor="end" font-size="12" fill="#5b6470">$tick</text>'
)
MONTH_PART = Template(
    '<rect x="$x" y="$y" width="$width" height="$height" fill="$colour">'
    "<title>$month: $value $text</title></rect>"
)
MONTH_SHARE = Template(
    '<text x="$x" y="$y" text-anchor="middle" font-size="12" font-weight="600" '
    'fill="#1d2530">$share</text>'
)
TREND = Template(
    '<h2 id="trend">Trend by month</h2>'
    '<p class="explain">Notes per month of the note\'s date. The number above each bar is '
    "the share of notes with an image-guidance code that document everything it requires.</p>"
    "$body"
)
NO_DATES = Template(
    '<p class="empty">The input has no note dates (dates come with FHIR input), so there '
    "is no trend to show.</p>"
)
MONTH_ROW = Template(
    '<tr><td>$month</td><td class="num">$notes</td><td class="num">$with_findings</td>'
    '<td class="num">$assessed</td><td class="num">$complete</td><td class="num">$share</td></tr>'
)
MONTH_TABLE = Template(
    "<details><summary>The numbers behind the chart</summary><table><thead><tr><th>Month</th>"
    '<th class="num">Notes</th><th class="num">With findings</th>'
    '<th class="num">With a guidance code</th><th class="num">Complete</th>'
    '<th class="num">Share complete</th></tr></thead><tbody>$rows</tbody></table></details>'
)
UNDATED = Template('<p class="explain">$notes without a date $verb not in the chart.</p>')


def svg_trend(months: Sequence[MonthStat], width: int = 980, height: int = 280) -> Markup:
    """Notes per month as stacked bars (complete, with gaps, no code checked), share above."""
    left, bottom, top_pad = 44, 42, 26
    plot_w, plot_h = width - left - 10, height - bottom - top_pad
    peak = max(m.notes for m in months) or 1
    slot = plot_w / len(months)
    bar_w = min(56.0, slot * 0.7)
    step = max(1, round(len(months) / 14))
    out = [_axis(left, top_pad, plot_w, plot_h, peak)]
    for i, month in enumerate(months):
        x = left + i * slot + (slot - bar_w) / 2
        out.append(_month_bar(month, x, bar_w, top_pad + plot_h, plot_h / peak))
        if i % step == 0:
            out.append(
                MONTH_LABEL(
                    x=_px(x + bar_w / 2),
                    y=top_pad + plot_h + 18,
                    month=_month_name(month.month),
                )
            )
    return TREND_CHART(width=width, height=height, body=join(out))


def _axis(left: int, top: int, plot_w: float, plot_h: int, peak: int) -> Markup:
    lines = []
    for tick in sorted({0, peak // 2, peak}):
        y = top + plot_h - plot_h * tick / peak
        lines.append(
            GRID_LINE(
                left=left,
                right=_px(left + plot_w),
                y=_px(y),
                text_x=left - 8,
                text_y=_px(y + 4),
                tick=tick,
            )
        )
    return join(lines)


def _month_bar(month: MonthStat, x: float, w: float, base: float, scale: float) -> Markup:
    unchecked = month.notes - month.assessed
    parts = [
        (month.complete, COLOURS["present"], "complete"),
        (month.assessed - month.complete, COLOURS["missing"], "with gaps"),
        (unchecked, COLOURS["unchecked"], "no guidance code checked"),
    ]
    y, out = base, []
    for value, colour, text in parts:
        h = value * scale
        if h > 0:
            y -= h
            out.append(
                MONTH_PART(
                    x=_px(x),
                    y=_px(y),
                    width=_px(w),
                    height=_px(h),
                    colour=colour,
                    month=_month_name(month.month),
                    value=value,
                    text=text,
                )
            )
    share = _pct(month.complete, month.assessed)
    out.append(MONTH_SHARE(x=_px(x + w / 2), y=_px(y - 6), share=share))
    return join(out)


def _trend_section(audit: Audit) -> Markup:
    if not audit.months:
        return TREND(body=NO_DATES())
    legend = _legend(
        [
            (COLOURS["present"], "guidance documentation complete"),
            (COLOURS["missing"], "documentation gaps"),
            (COLOURS["unchecked"], "no image-guidance code checked"),
        ]
    )
    rows = join(
        MONTH_ROW(
            month=_month_name(m.month),
            notes=m.notes,
            with_findings=m.with_findings,
            assessed=m.assessed,
            complete=m.complete,
            share=_pct(m.complete, m.assessed),
        )
        for m in audit.months
    )
    undated = (
        UNDATED(notes=_plural(audit.undated, "note"), verb="is" if audit.undated == 1 else "are")
        if audit.undated
        else EMPTY
    )
    chart = svg_trend(audit.months)
    return TREND(body=join([legend, chart, undated, MONTH_TABLE(rows=rows)]))


# --- notes with findings -----------------------------------------------------------------------

FINDING_CODE = Template('<span class="code">$code</span> ')
FINDING_MESSAGE = Template('<br><span class="sub">$message</span>')
FINDING_EXCERPT = Template("<br><q>$excerpt</q>")
FINDING = Template("<li>$rule $code$what$message$excerpt</li>")
NOTE_ROW = Template("<tr><td>$label</td><td>$codes</td><td><ul>$findings</ul></td></tr>")
NOTES = Template('<h2 id="notes">Notes with findings</h2>$body')
NO_NOTES = Template('<p class="empty">No note has a finding.</p>')
NOTES_TABLE = Template(
    '<p class="explain">$privacy</p><details><summary>List the $flagged with findings</summary>'
    "<table><thead><tr><th>Note</th><th>Guidance codes checked</th><th>Findings</th></tr>"
    "</thead><tbody>$rows</tbody></table></details>$tail"
)
MORE_NOTES = Template('<p class="explain">$more not listed.</p>')


def note_label(note: NoteRecord, options: PageOptions) -> str:
    """ "note N", plus the path and resource id only when the reader asked for them."""
    label = f"note {note.number}"
    if options.include_paths:
        extra = [x for x in (note.path, note.resource_id) if x]
        label += "".join(f" · {x}" for x in extra)
    return label


def _finding_item(kb: KnowledgeBase, finding: FindingRecord, options: PageOptions) -> Markup:
    if finding.category == "documentation" and finding.element in kb.elements:
        what = f"missing: {kb.elements[finding.element].label}"
    else:
        what = _rule_summary(kb, finding.rule)
    message = excerpt = EMPTY
    if options.include_excerpts:
        if finding.message:
            message = FINDING_MESSAGE(message=finding.message)
        if finding.excerpt:
            excerpt = FINDING_EXCERPT(excerpt=finding.excerpt)
    return FINDING(
        rule=_rule_link(finding.rule),
        code=FINDING_CODE(code=finding.code) if finding.code else EMPTY,
        what=what,
        message=message,
        excerpt=excerpt,
    )


def _notes_section(audit: Audit, kb: KnowledgeBase, options: PageOptions) -> Markup:
    flagged = [row for row in audit.rows if row.note.findings]
    privacy = (
        "Notes are numbered in the order they appear in the results file; whoever holds that "
        "file can look them up."
        if not options.include_paths
        else "Each note is shown with its file path and resource id, as recorded in the results."
    )
    if not flagged:
        return NOTES(body=NO_NOTES())
    rows = join(
        NOTE_ROW(
            label=note_label(row.note, options),
            codes=", ".join(row.assessed) or "–",
            findings=join(_finding_item(kb, f, options) for f in row.note.findings),
        )
        for row in flagged[:MAX_NOTE_ROWS]
    )
    more = len(flagged) - MAX_NOTE_ROWS
    tail = MORE_NOTES(more=_plural(more, "more note")) if more > 0 else EMPTY
    return NOTES(
        body=NOTES_TABLE(
            privacy=privacy, flagged=_plural(len(flagged), "note"), rows=rows, tail=tail
        )
    )


# --- appendix and footer -----------------------------------------------------------------------

APPENDIX = Template(
    '<h2 id="appendix">Appendix: the rules</h2>'
    '<p class="explain">What each rule on this page checks, why it matters and what a note '
    "needs to satisfy it.</p>$rules"
)
UNKNOWN_RULE = Template('<div class="rule" id="rule-$rule"><h3>$rule</h3><p>$summary</p></div>')
RULE = Template(
    '<div class="rule" id="rule-$rule"><h3>$rule $name</h3>'
    "<p>$summary</p><dl><dt>Why it matters</dt><dd>$why</dd>"
    "<dt>What satisfies it</dt><dd>$fix</dd><dt>Kind</dt>"
    "<dd>$kind, usually a$n $severity</dd></dl></div>"
)
FOOTER = Template(
    "<footer><p>Privacy: this page contains $paths and $text.$skipped</p>"
    "<p>Generated by notelint report$generated; profile $profile. "
    "Self-contained: no scripts, fonts or network.</p></footer>"
)


def _appendix_rules(audit: Audit) -> list[str]:
    used = set(audit.by_rule)
    used.update(item.requirement.rule for stat in audit.codes for item in stat.requirements)
    return sorted(used)


def _appendix_rule(kb: KnowledgeBase, rule: str) -> Markup:
    spec = kb.rules.get(rule)
    if spec is None:
        return UNKNOWN_RULE(rule=rule, summary=_rule_summary(kb, rule))
    return RULE(
        rule=rule,
        name=spec.name,
        summary=spec.summary,
        why=spec.why,
        fix=spec.fix,
        kind=CATEGORY_NAMES.get(spec.category, spec.category),
        n="n" if spec.severity[0] in "aeiou" else "",
        severity=spec.severity,
    )


def _appendix(audit: Audit, kb: KnowledgeBase) -> Markup:
    return APPENDIX(rules=join(_appendix_rule(kb, rule) for rule in _appendix_rules(audit)))


def _footer(options: PageOptions) -> Markup:
    skipped = (
        f" {_plural(options.skipped_lines, 'line')} of the input could not be read and "
        f"{'is' if options.skipped_lines == 1 else 'are'} not counted."
        if options.skipped_lines
        else ""
    )
    return FOOTER(
        paths="file paths and resource ids"
        if options.include_paths
        else "no file paths or resource ids",
        text="finding messages and note excerpts where the results include them"
        if options.include_excerpts
        else "no note text, finding messages or excerpts",
        skipped=skipped,
        generated=" on " + options.generated if options.generated else "",
        profile=options.profile,
    )


# --- the page ----------------------------------------------------------------------------------

PAGE = Template(
    '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
    '<meta name="viewport" content="width=device-width, initial-scale=1">'
    '<meta name="referrer" content="no-referrer">'
    '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
    "style-src 'unsafe-inline'; img-src data:\">"
    "<title>Image-guidance documentation audit</title><style>"
    + CSS
    + "</style></head><body><main><h1>Image-guidance documentation audit</h1>$body</main>"
    "</body></html>\n"
)


def render_page(audit: Audit, kb: KnowledgeBase, options: PageOptions | None = None) -> str:
    """The whole HTML page. Every value from the input is escaped (by the templates)."""
    options = options or PageOptions()
    body = join(
        [
            _intro(audit, options),
            _headline(audit),
            _gap_section(audit),
            _trend_section(audit),
            _completeness(audit),
            _rules_section(audit, kb),
            _notes_section(audit, kb, options),
            _appendix(audit, kb),
            _footer(options),
        ]
    )
    return str(PAGE(body=body))
