// notelint in a web page: a CodeMirror 6 editor talking LSP to `notelint server --ws`
// (or `notelint demo`) through @codemirror/lsp-client, with a plain-words side panel.
//
// Where the server is: ?server=ws://127.0.0.1:PORT/ or ?port=PORT, else ./config.json
// ({"server": "ws://…", "token": "…", "explain": "./explain/"}). A token is sent as the
// WebSocket subprotocol "notelint.bearer.TOKEN" (a browser cannot set headers).
import { EditorView, keymap, lineNumbers, drawSelection, highlightActiveLine, Decoration, MatchDecorator, ViewPlugin } from "@codemirror/view"
import { EditorState } from "@codemirror/state"
import { defaultKeymap, history, historyKeymap } from "@codemirror/commands"
import { lintGutter, lintKeymap, setDiagnostics } from "@codemirror/lint"
import { autocompletion, completionKeymap, CompletionContext } from "@codemirror/autocomplete"
import { LSPClient, hoverTooltips, serverCompletionSource } from "@codemirror/lsp-client"
import { renderPanel, el } from "./panel.js"
import "./style.css"

const URI = "file:///ehr/current-note.txt"
const SAMPLE = `INDICATION: Left axillary adenopathy.
PROCEDURE: Ultrasound-guided core biopsy of a left axillary lymph node.
The needle was advanced into the node under real-time ultrasound. No images were retained.
CPT: 38505, 76942 x2
`

const status = document.getElementById("status")
const panel = document.getElementById("panel")

function setStatus(state, text) {
  document.body.dataset.connection = state
  status.textContent = text
  status.className = `status ${state}`
}

async function loadConfig() {
  const query = new URLSearchParams(location.search)
  const config = { server: null, token: null, explain: "./explain/", glossary: null }
  if (query.get("server")) config.server = query.get("server")
  else if (/^\d{1,5}$/.test(query.get("port") ?? "")) config.server = `ws://127.0.0.1:${query.get("port")}/`
  else {
    try {
      const response = await fetch("./config.json", { cache: "no-store" })
      if (response.ok) Object.assign(config, await response.json())
    } catch { /* no config endpoint: embedded without the demo server */ }
  }
  try {
    const response = await fetch("./glossary.json", { cache: "no-store" })
    if (response.ok) config.glossary = await response.json()
  } catch { /* descriptions are optional */ }
  if (config.server && !/^wss?:\/\//.test(config.server)) config.server = null
  return config
}

// Markdown from the server becomes HTML; strip anything active, however it got there.
function sanitize(html) {
  const template = document.createElement("template")
  template.innerHTML = html
  template.content.querySelectorAll("script,style,iframe,object,embed,link,meta,form,img,svg,base").forEach(n => n.remove())
  for (const node of template.content.querySelectorAll("*")) {
    for (const attr of [...node.attributes]) {
      const url = /^(href|src|action|xlink:href)$/i.test(attr.name)
      if (/^on/i.test(attr.name) || attr.name === "style" || (url && !/^(https?:|#)/i.test(attr.value.trim()))) node.removeAttribute(attr.name)
    }
  }
  return template.innerHTML
}

function openSocket(url, token) {
  return new Promise((resolve, reject) => {
    const protocols = token ? ["notelint", `notelint.bearer.${token}`] : ["notelint"]
    let socket
    try { socket = new WebSocket(url, protocols) } catch (error) { reject(error); return }
    let handlers = []
    socket.onmessage = event => { if (typeof event.data === "string") for (const h of handlers) h(event.data) }
    socket.onopen = () => resolve({
      socket,
      transport: {
        send(message) {
          if (socket.readyState !== WebSocket.OPEN) throw new Error("the notelint server is not connected")
          socket.send(message)
        },
        subscribe(handler) { handlers.push(handler) },
        unsubscribe(handler) { handlers = handlers.filter(h => h !== handler) },
      },
    })
    socket.onclose = event => reject(event)
  })
}

// Quick-fix buttons and lint tooltips in the page's colours (CodeMirror's base theme is more specific than a stylesheet).
const theme = EditorView.theme({
  ".cm-diagnosticAction": { backgroundColor: "#1f5fa8", borderRadius: "4px", fontSize: "12.5px", padding: "2px 8px", margin: "4px 6px 0 0" },
  ".cm-diagnosticAction:hover": { backgroundColor: "#174a84" },
  ".cm-diagnostic": { fontFamily: "system-ui, sans-serif", fontSize: "13.5px", padding: "5px 10px 6px 8px" },
  ".cm-tooltip-hover": { fontFamily: "system-ui, sans-serif" },
})

// Template placeholders ("[describe …]") stand out until the author fills them in.
const placeholderMark = Decoration.mark({ class: "nl-placeholder" })
const placeholders = ViewPlugin.fromClass(class {
  constructor(view) { this.matcher = new MatchDecorator({ regexp: /\[[^\]\n]{3,}\]/g, decoration: placeholderMark }); this.decorations = this.matcher.createDeco(view) }
  update(update) { this.decorations = this.matcher.updateDeco(update, this.decorations) }
}, { decorations: v => v.decorations })

// Codes are digits: ask the server as soon as one is typed (it answers only on the coding line).
function codeCompletion(context) {
  const before = context.state.sliceDoc(context.pos - 1, context.pos)
  const asked = /[0-9]/.test(before) ? new CompletionContext(context.state, context.pos, true, context.view) : context
  return serverCompletionSource(asked)
}

const config = await loadConfig()
const client = new LSPClient({
  timeout: 15000,
  sanitizeHTML: sanitize,
  extensions: [hoverTooltips({ hoverTime: 250 })],
  notificationHandlers: { "window/logMessage": () => true },
})

let timer = null
const schedule = (delay = 200) => { clearTimeout(timer); timer = setTimeout(refresh, delay) }

const view = new EditorView({
  parent: document.getElementById("editor"),
  state: EditorState.create({
    doc: new URLSearchParams(location.search).has("blank") ? "" : SAMPLE,
    extensions: [
      lineNumbers(),
      history(),
      drawSelection(),
      highlightActiveLine(),
      EditorView.lineWrapping,
      EditorView.contentAttributes.of({ "aria-label": "Procedure note text", spellcheck: "true" }),
      autocompletion({ override: [codeCompletion], activateOnTyping: true }),
      lintGutter(),
      placeholders,
      theme,
      keymap.of([...defaultKeymap, ...historyKeymap, ...completionKeymap, ...lintKeymap]),
      client.plugin(URI, "plaintext"),
      EditorView.updateListener.of(update => { if (update.docChanged) schedule() }),
    ],
  }),
})
window.notelintView = view // for tests and for a host page that wants to read or set the note

let generation = 0
let mapping = null

function severityName(severity) {
  return severity === 1 ? "error" : severity === 2 ? "warning" : severity === 3 ? "info" : "hint"
}

function sameDiagnostic(a, b) {
  return a.code === b.code && a.message === b.message &&
    a.range.start.line === b.range.start.line && a.range.start.character === b.range.start.character
}

function editsOf(action) {
  const edit = action.edit ?? {}
  if (edit.changes?.[URI]) return edit.changes[URI]
  for (const change of edit.documentChanges ?? []) if (change.textDocument?.uri === URI) return change.edits
  return []
}

function applyAction(action, usedMapping) {
  if (usedMapping !== mapping) return false // the note changed under a stale fix; the next check offers it again
  const changes = editsOf(action).map(e => ({
    from: usedMapping.mapPosition(URI, e.range.start),
    to: usedMapping.mapPosition(URI, e.range.end),
    insert: e.newText,
  }))
  if (!changes.length) return false
  view.dispatch({ changes, userEvent: "input.fix", scrollIntoView: true })
  view.focus()
  schedule(0)
  return true
}

function explainLink(rule) {
  if (!config.explain) return null
  return el("a", { class: "nl-explain", href: `${config.explain}${encodeURIComponent(rule)}`, target: "_blank", rel: "noopener noreferrer", title: `What ${rule} checks and why` }, "explain")
}

function renderDiagnostic(d) {
  const rule = String(d.code ?? "")
  return el("div", { class: "nl-diagnostic" },
    el("span", { class: `nl-rule ${severityName(d.severity)}` }, rule), " ", d.message, " ", explainLink(rule))
}

async function refresh() {
  if (!client.connected) return
  await client.initializing
  const mine = ++generation
  client.sync()
  const current = client.workspaceMapping()
  try {
    const [pulled, report] = await Promise.all([
      client.request("textDocument/diagnostic", { textDocument: { uri: URI } }),
      client.request("workspace/executeCommand", { command: "notelint.report", arguments: [URI] }),
    ])
    const items = pulled?.items ?? []
    const full = { start: { line: 0, character: 0 }, end: { line: 1e6, character: 0 } }
    const actions = items.length
      ? (await client.request("textDocument/codeAction", { textDocument: { uri: URI }, range: full, context: { diagnostics: items, only: ["quickfix"] } })) ?? []
      : []
    if (mine !== generation) { current.destroy(); return }
    mapping?.destroy()
    mapping = current
    const length = view.state.doc.length
    const fixesFor = d => actions.filter(a => "edit" in a && a.diagnostics?.some(x => sameDiagnostic(x, d)))
    const diagnostics = items.map(d => ({
      from: Math.min(current.mapPosition(URI, d.range.start), length),
      to: Math.min(current.mapPosition(URI, d.range.end), length),
      severity: severityName(d.severity),
      message: `${d.code}: ${d.message}`,
      renderMessage: () => renderDiagnostic(d),
      actions: fixesFor(d).map(a => ({ name: a.title, apply: () => applyAction(a, current) })),
    }))
    view.dispatch(setDiagnostics(view.state, diagnostics))
    renderPanel(panel, {
      report: report?.files?.[0] ?? report,
      diagnostics: items,
      fixesFor,
      apply: a => applyAction(a, current),
      explainLink,
      glossary: config.glossary,
    })
    document.body.dataset.checked = String(mine)
  } catch (error) {
    current.destroy()
    if (mine === generation && client.connected) setStatus("error", "The checker did not answer; it will try again as you type.")
  }
}

renderPanel(panel, null)
if (!config.server) {
  setStatus("closed", "No checker configured: open this page from `notelint demo`, or add ?port=PORT.")
} else {
  try {
    const { socket, transport } = await openSocket(config.server, config.token)
    socket.addEventListener("close", () => {
      client.disconnect()
      setStatus("closed", "Disconnected from the checker. Reload the page to reconnect.")
    })
    client.connect(transport)
    await client.initializing
    setStatus("connected", "Checking as you type")
    schedule(0)
  } catch {
    setStatus("refused", "Could not connect to the checker: it refused this page or is not running.")
  }
}
