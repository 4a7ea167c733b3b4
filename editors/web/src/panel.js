// The side panel: what the note supports and what is still missing, in plain words.
// Input: the server's `notelint.report` (the CLI's JSON for this note) and its diagnostics.
// What is still to document comes from the report's `checklists` (every item each checked code
// requires, satisfied or not), as the core decided it, not re-derived from the findings.

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag)
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue
    if (key.startsWith("on")) node.addEventListener(key.slice(2), value)
    else node.setAttribute(key, value)
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue
    node.append(child instanceof Node ? child : String(child))
  }
  return node
}

const capitalize = s => (s ? s[0].toUpperCase() + s.slice(1) : s)

// "a written interpretation of the guidance images" -> "Written interpretation of the guidance images"
function plainLabel(label) {
  return capitalize(label.replace(/^(a|an|the)\s+/i, ""))
}

function codeName(code, glossary) {
  return glossary?.codes?.[code]?.description ?? null
}

function section(id, title, subtitle, body) {
  return el("section", { class: "nl-section", "data-testid": id },
    el("h2", {}, title),
    subtitle ? el("p", { class: "nl-sub" }, subtitle) : null,
    body)
}

function fixButton(finding, context, label) {
  const diagnostic = context.diagnostics.find(d => d.code === finding.rule && d.message === finding.message &&
    d.range.start.line === finding.range.start.line && d.range.start.character === finding.range.start.character)
  const action = diagnostic ? context.fixesFor(diagnostic)[0] : null
  if (!action) return null
  return el("button", { type: "button", class: "nl-fix", title: action.title, onclick: () => context.apply(action) }, label ?? action.title)
}

function supportedCodes(codes, context) {
  const reported = new Map((codes.reported ?? []).map(c => [c.code, c]))
  if (!codes.suggested?.length) {
    return el("p", { class: "nl-empty" }, "None yet: the note does not describe an image-guided service notelint knows.")
  }
  return el("ul", { class: "nl-list" }, codes.suggested.map(s => {
    const onLine = reported.has(s.code)
    const known = context.glossary?.codes?.[s.code]?.modifiers ?? []
    const modifiers = s.modifiers.length
      ? el("div", { class: "nl-mods" }, "Modifiers the note supports: ",
          s.modifiers.map((m, i) => [i ? ", " : "", el("b", {}, `-${m}`), context.glossary?.modifiers?.[m] ? ` (${context.glossary.modifiers[m].toLowerCase()})` : ""]))
      : known.length ? el("div", { class: "nl-mods" }, `Modifiers: none supported by this note (possible: ${known.map(m => `-${m}`).join(", ")})`) : null
    return el("li", { class: "nl-code", "data-code": s.code },
      el("div", { class: "nl-code-head" },
        el("span", { class: "nl-code-id" }, s.code + s.modifiers.map(m => `-${m}`).join("")),
        el("span", { class: `nl-tag ${onLine ? "ok" : "warn"}` }, onLine ? "on the coding line" : "not on the coding line")),
      codeName(s.code, context.glossary) ? el("div", { class: "nl-desc" }, codeName(s.code, context.glossary)) : null,
      s.reason ? el("div", { class: "nl-why" }, `Found in the note: ${s.reason}.`) : null,
      modifiers)
  }))
}

// The items the core's checklists say are missing, each with its code.
function missingItems(report) {
  return (report.checklists ?? []).flatMap(checklist =>
    checklist.items.filter(item => !item.satisfied).map(item => ({ ...item, code: checklist.code })))
}

function stillToDocument(missing, findings, context) {
  if (!missing.length) return el("p", { class: "nl-empty ok" }, "Nothing: the documentation each supported code needs is there.")
  return el("ul", { class: "nl-list" }, missing.map(item => {
    // The finding for the item, if its rule is not ignored: its severity and its quick fix.
    const finding = findings.find(f => f.category === "documentation" && f.code === item.code && f.rule === item.rule)
    return el("li", { class: finding ? `nl-gap ${finding.severity}` : "nl-gap" },
      el("div", {}, el("span", { class: "nl-gap-what" }, plainLabel(item.label)), ` (${item.code})`),
      el("div", { class: "nl-row" }, finding ? fixButton(finding, context, "Add a placeholder") : null, context.explainLink(item.rule)))
  }))
}

function otherProblems(findings, context) {
  const others = findings.filter(f => f.category !== "documentation")
  if (!others.length) return el("p", { class: "nl-empty ok" }, "None found.")
  return el("ul", { class: "nl-list" }, others.map(f =>
    el("li", { class: `nl-problem ${f.severity}` },
      el("div", {}, f.message),
      el("div", { class: "nl-row" }, fixButton(f, context), el("span", { class: "nl-rule-id" }, f.rule), context.explainLink(f.rule)))))
}

function codingLine(codes, context) {
  if (!codes.reported?.length) return el("p", { class: "nl-empty" }, "No codes on a coding line (e.g. \"CPT: 76942\").")
  return el("ul", { class: "nl-inline" }, codes.reported.map(c => {
    const name = codeName(c.code, context.glossary)
    return el("li", { title: name ?? "not an image-guidance code notelint checks" },
      c.code + c.modifiers.map(m => `-${m}`).join("") + (c.units > 1 ? ` ×${c.units}` : ""))
  }))
}

export function renderPanel(panel, context) {
  panel.replaceChildren()
  if (!context?.report) {
    panel.append(el("p", { class: "nl-empty" }, "The coding summary appears here once the note is checked."))
    return
  }
  const findings = context.report.findings ?? []
  const codes = context.report.codes ?? {}
  const missing = missingItems(context.report)
  const gaps = missing.length
  const problems = findings.filter(f => f.category !== "documentation").length
  const supported = codes.suggested?.length ?? 0
  const plural = (n, one, many) => `${n} ${n === 1 ? one : many}`
  panel.append(
    el("div", { class: "nl-summary", "data-testid": "summary" },
      plural(supported, "supported code", "supported codes"), " · ",
      plural(gaps, "thing", "things"), " still to document · ",
      plural(problems, "coding problem", "coding problems")),
    section("supported", "Supported codes", "What the note's wording supports.", supportedCodes(codes, context)),
    section("todo", "Still to document", "What a supported code needs that the note does not say yet.", stillToDocument(missing, findings, context)),
    section("problems", "Coding problems", null, otherProblems(findings, context)),
    section("reported", "On the coding line", null, codingLine(codes, context)),
    el("p", { class: "nl-foot" }, `Checked ${new Date().toLocaleTimeString()}. notelint suggests; the coder decides.`),
  )
}
