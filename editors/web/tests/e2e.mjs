// End to end: `notelint demo` (WebSocket language server + the built page) in headless Chromium.
// Run with `node --test tests/` (the page is the one the package ships; tests/web runs this).
// Uses the system Chromium (no download):
// CHROMIUM=/path overrides /usr/bin/chromium; NOTELINT="python -m notelint.cli" overrides the
// command. Screenshots go to test-artifacts/; NOTELINT_UPDATE_SCREENSHOT=1 also copies one to
// docs/web-editor.png for the README.
import { test, before, after } from "node:test"
import assert from "node:assert/strict"
import { spawn } from "node:child_process"
import { copyFileSync, mkdirSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { chromium } from "playwright-core"

const here = dirname(fileURLToPath(import.meta.url))
const artifacts = join(here, "..", "test-artifacts")
const FOREIGN = "ehr-elsewhere.test" // resolves to loopback, but is not an allowed origin

let demo, browser, pageUrl, demoLog = ""

function startDemo() {
  const [command, ...args] = (process.env.NOTELINT ?? "notelint").split(" ")
  const child = spawn(command, [...args, "demo"], { stdio: ["ignore", "pipe", "pipe"] })
  child.stderr.on("data", chunk => { demoLog += chunk })
  return new Promise((resolve, reject) => {
    let out = ""
    const timer = setTimeout(() => reject(new Error(`notelint demo did not start:\n${out}${demoLog}`)), 30000)
    child.stdout.on("data", chunk => {
      out += chunk
      const match = /open (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out)
      if (match) { clearTimeout(timer); resolve({ child, url: match[1] }) }
    })
    child.on("exit", code => reject(new Error(`notelint demo exited (${code}):\n${out}${demoLog}`)))
  })
}

before(async () => {
  mkdirSync(artifacts, { recursive: true })
  const started = await startDemo()
  demo = started.child
  pageUrl = started.url
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    headless: true,
    args: [
      "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
      "--disable-dev-shm-usage", `--host-resolver-rules=MAP ${FOREIGN} 127.0.0.1`,
    ],
  })
})

after(async () => {
  await browser?.close()
  demo?.kill("SIGINT")
})

const NOTE = [
  "INDICATION: Left axillary adenopathy.",
  "PROCEDURE: Ultrasound-guided core biopsy of a left axillary lymph node.",
  "The needle was advanced into the node under real-time ultrasound. No images were retained.",
]

async function editorText(page) {
  return page.evaluate(() => window.notelintView.state.doc.toString())
}

test("a deficient note gets diagnostics, a quick fix, hover cards and a plain-words panel", async () => {
  const page = await browser.newPage({ viewport: { width: 1360, height: 860 }, deviceScaleFactor: 1 })
  const consoleErrors = []
  page.on("pageerror", error => consoleErrors.push(String(error)))
  await page.goto(`${pageUrl}?blank`)
  await page.waitForSelector("body[data-connection=connected]", { timeout: 20000 })

  // The author types the note, then the coding line, where completion offers codes.
  await page.click(".cm-content")
  for (const line of NOTE) {
    await page.keyboard.type(line)
    await page.keyboard.press("Enter")
  }
  await page.keyboard.type("CPT: 38505, 7694")
  const option = page.locator(".cm-tooltip-autocomplete li", { hasText: "76942" }).first()
  await option.waitFor({ timeout: 10000 })
  await page.keyboard.type("2")
  await page.keyboard.press("Escape")
  await page.keyboard.type(" x2")

  // Diagnostics inline (with the rule id) and in the panel, in plain words.
  const todo = page.locator("[data-testid=todo]")
  await page.locator("[data-testid=problems]").getByText("76942 is reported 2 times").waitFor({ timeout: 15000 })
  await todo.getByText("Permanently recorded images of the site", { exact: false }).waitFor()
  await page.locator(".cm-lintRange", { hasText: "76942" }).first().waitFor()
  assert.match(await page.locator("[data-testid=supported]").innerText(), /76942[\s\S]*on the coding line/)
  assert.match(await todo.innerText(), /Written interpretation of the guidance images \(76942\)/)
  assert.match(await page.locator("[data-testid=problems]").innerText(), /76942 is reported 2 times/)
  assert.match(await page.locator("[data-testid=summary]").innerText(), /1 supported code · 3 things still to document · 1 coding problem/)

  // The "explain" links serve `notelint explain`.
  const href = await todo.locator("a.nl-explain").first().getAttribute("href")
  const explained = await page.evaluate(async url => (await fetch(url)).text(), href)
  assert.match(explained, /^NL10\d [a-z-]+\ncategory: documentation/)

  // Quick fix from the inline diagnostic: a visible placeholder, still flagged.
  const code = page.locator(".cm-lintRange", { hasText: "76942" }).last()
  await code.hover()
  const fix = page.locator(".cm-tooltip-lint .cm-diagnosticAction", { hasText: "permanently recorded images" }).first()
  await fix.waitFor({ timeout: 10000 })
  assert.match(await page.locator(".cm-tooltip-lint").innerText(), /NL102 76942: no permanently recorded images of the site/)
  await fix.click()
  assert.match(await editorText(page), /\nPermanent images: \[describe images recorded and where archived\]\n/)
  await page.waitForFunction(() => document.querySelector("[data-testid=todo]")?.innerText.includes("Permanently recorded images"))
  await page.locator(".nl-placeholder", { hasText: "describe images recorded" }).waitFor()
  await page.waitForFunction(() => Number(document.body.dataset.checked) > 0)
  assert.match(await todo.innerText(), /Permanently recorded images of the site \(76942\)/, "a placeholder does not document anything")

  // Hover card on a code.
  await page.mouse.move(5, 5)
  await page.waitForTimeout(300)
  const reported = page.locator(".cm-line", { hasText: "CPT:" })
  const box = await reported.boundingBox()
  const glyph = await page.evaluate(() => {
    const view = window.notelintView
    const at = view.state.doc.toString().lastIndexOf("76942") + 2
    const rect = view.coordsAtPos(at)
    return { x: rect.left, y: (rect.top + rect.bottom) / 2 }
  })
  assert.ok(box)
  await page.mouse.move(glyph.x, glyph.y)
  const card = page.locator(".cm-tooltip-hover", { hasText: "Ultrasound used to guide a needle" })
  await card.waitFor({ timeout: 10000 })
  assert.match(await card.innerText(), /76942/)

  await page.screenshot({ path: join(artifacts, "web-editor.png") })
  if (process.env.NOTELINT_UPDATE_SCREENSHOT === "1") {
    copyFileSync(join(artifacts, "web-editor.png"), join(here, "..", "..", "..", "docs", "web-editor.png"))
  }
  assert.deepEqual(consoleErrors, [])
  await page.close()
})

test("a page from an origin that is not allowed is refused at the handshake", async () => {
  const page = await browser.newPage()
  const foreign = pageUrl.replace("127.0.0.1", FOREIGN)
  await page.goto(foreign)
  await page.waitForSelector("body[data-connection=refused]", { timeout: 20000 })
  assert.match(await page.locator("#status").innerText(), /Could not connect to the checker/)
  await page.screenshot({ path: join(artifacts, "refused.png") })
  const origin = foreign.replace(/\/$/, "")
  await waitFor(() => demoLog.includes(`refused a connection from origin ${origin} (403)`), `403 for ${origin} in the log:\n${demoLog}`)
  await page.close()
})

async function waitFor(check, message, timeout = 10000) {
  const end = Date.now() + timeout
  while (Date.now() < end) {
    if (check()) return
    await new Promise(r => setTimeout(r, 100))
  }
  assert.fail(message)
}
