/**
 * The extension's entry point under a stubbed `vscode` module: what it registers, what it says
 * when the server is missing, and the explain command against a stand-in `notelint` CLI. No
 * language client is started here (that needs a real VS Code).
 */

import assert from "node:assert/strict";
import * as fs from "node:fs";
import Module from "node:module";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";

interface Call {
  api: string;
  args: unknown[];
}

const calls: Call[] = [];
const commands = new Map<string, (...args: unknown[]) => unknown>();
const settingValues: Record<string, unknown> = {};
const channels = new Map<string, string[]>();
let errorChoice: string | undefined;
let quickPickChoice: (items: { label: string }[]) => { label: string } | undefined = (items) => items[0];

function record(api: string, ...args: unknown[]): void {
  calls.push({ api, args });
}

const vscodeStub = {
  Uri: {
    joinPath: (base: { path: string }, ...parts: string[]) => {
      const joined = path.posix.join(base.path, ...parts);
      return { path: joined, fsPath: joined };
    },
  },
  commands: {
    registerCommand(id: string, handler: (...args: unknown[]) => unknown) {
      commands.set(id, handler);
      return { dispose: () => commands.delete(id) };
    },
    executeCommand(...args: unknown[]) {
      record("executeCommand", ...args);
      return Promise.resolve();
    },
  },
  workspace: {
    getConfiguration: (section: string) => ({
      get: (key: string) => settingValues[`${section}.${key}`],
    }),
    onDidChangeConfiguration: () => ({ dispose: () => undefined }),
  },
  window: {
    showErrorMessage(...args: unknown[]) {
      record("showErrorMessage", ...args);
      return Promise.resolve(errorChoice);
    },
    showWarningMessage(...args: unknown[]) {
      record("showWarningMessage", ...args);
      return Promise.resolve(undefined);
    },
    showInformationMessage(...args: unknown[]) {
      record("showInformationMessage", ...args);
      return Promise.resolve(undefined);
    },
    showQuickPick(items: { label: string }[], options: unknown) {
      record("showQuickPick", items, options);
      return Promise.resolve(quickPickChoice(items));
    },
    createOutputChannel(name: string) {
      const lines: string[] = [];
      channels.set(name, lines);
      return {
        append: (text: string) => lines.push(text),
        appendLine: (text: string) => lines.push(text + "\n"),
        clear: () => (lines.length = 0),
        show: () => undefined,
        dispose: () => undefined,
      };
    },
    activeTextEditor: undefined,
  },
};

// `import * as vscode from "vscode"` in the extension gets the stub; the language client's
// classes that extend vscode ones get an empty class.
// eslint-disable-next-line @typescript-eslint/no-extraneous-class
class VscodeClass {}
const stub = new Proxy<Record<string | symbol, unknown>>(vscodeStub, {
  get: (target, prop) => (prop in target ? target[prop] : VscodeClass),
});
const loader = Module as unknown as { _load: (request: string, ...rest: unknown[]) => unknown };
const originalLoad = loader._load;
loader._load = function (request: string, ...rest: unknown[]) {
  return request === "vscode" ? stub : originalLoad.call(this, request, ...rest);
};

// A stand-in `notelint` CLI on PATH for the explain command.
const bin = fs.mkdtempSync(path.join(os.tmpdir(), "notelint-vscode-test-"));
const fakeCli = path.join(bin, "notelint");
fs.writeFileSync(
  fakeCli,
  `#!/usr/bin/env node
const args = process.argv.slice(2);
if (args[0] === "rules") {
  console.log(JSON.stringify([{ rule: "NL101", name: "missing-interpretation", severity: "warning", summary: "s1" },
                              { rule: "NL102", name: "missing-permanent-images", severity: "warning", summary: "s2" }]));
} else if (args[0] === "explain") {
  console.log("EXPLAINED " + args[1]);
} else { process.exit(2); }
`,
  { mode: 0o755 },
);
const savedPath = process.env.PATH;
process.env.PATH = `${bin}${path.delimiter}${savedPath ?? ""}`;

interface Extension {
  activate(context: { subscriptions: { dispose(): unknown }[]; extensionUri: { path: string } }): Promise<void>;
  deactivate(): Promise<void>;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const extension = require("../src/extension") as Extension;
const context = { subscriptions: [] as { dispose(): unknown }[], extensionUri: { path: "/ext/notelint" } };

async function settle(): Promise<void> {
  await new Promise((resolve) => setImmediate(resolve));
}

describe("extension entry point (stubbed vscode)", () => {
  before(async () => {
    // A server command that does not exist: activation must explain, not start a client.
    settingValues["notelint.server.command"] = [path.join(bin, "missing-notelint"), "server"];
    errorChoice = "How to install";
    await extension.activate(context);
    await settle();
  });

  after(async () => {
    await extension.deactivate();
    loader._load = originalLoad;
    process.env.PATH = savedPath;
    fs.rmSync(bin, { recursive: true, force: true });
  });

  it("registers the three commands", () => {
    for (const id of ["notelint.restartServer", "notelint.explainRule", "notelint.showSuggestedCodes"]) {
      assert.ok(commands.has(id), id);
    }
  });

  it("says the server is missing, with a How to install button that opens the README", () => {
    const error = calls.find((c) => c.api === "showErrorMessage");
    assert.ok(error);
    assert.match(String(error.args[0]), /missing-notelint.*notelint\.server\.command/);
    assert.deepEqual(error.args.slice(1), ["How to install", "Open Settings"]);
    const preview = calls.find((c) => c.api === "executeCommand" && c.args[0] === "markdown.showPreview");
    assert.ok(preview);
    assert.equal((preview.args[1] as { path: string }).path, "/ext/notelint/README.md");
  });

  it("explains a rule picked from the CLI's rule list", async () => {
    quickPickChoice = (items) => items[1];
    await commands.get("notelint.explainRule")?.();
    const pick = calls.find((c) => c.api === "showQuickPick");
    assert.ok(pick);
    assert.deepEqual(
      (pick.args[0] as { label: string }[]).map((i) => i.label),
      ["NL101", "NL102"],
    );
    assert.deepEqual(channels.get("notelint: explain"), ["EXPLAINED NL102\n"]);
  });

  it("explains a rule given as an argument without asking", async () => {
    const picks = calls.filter((c) => c.api === "showQuickPick").length;
    await commands.get("notelint.explainRule")?.("NL101");
    assert.equal(calls.filter((c) => c.api === "showQuickPick").length, picks);
    assert.deepEqual(channels.get("notelint: explain"), ["EXPLAINED NL101\n"]);
  });

  it("reports that suggested codes need a running server", async () => {
    await commands.get("notelint.showSuggestedCodes")?.("file:///notes/a.txt");
    const last = calls.filter((c) => c.api === "showErrorMessage").at(-1);
    assert.match(String(last?.args[0]), /not running/);
  });
});
