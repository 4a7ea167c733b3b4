import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  type HostEnv,
  type SettingsReader,
  buildOptions,
  cliInvocation,
  codeLabel,
  documentSelector,
  findOnPath,
  folderGlob,
  parseRules,
  planChange,
  resolveServer,
  summarizeReport,
} from "../src/activation";

function reader(values: Record<string, unknown>): SettingsReader {
  return {
    get(key: string): unknown {
      return values[key];
    },
  };
}

function env(executables: string[], pathVar = "/usr/local/bin:/usr/bin", platform: NodeJS.Platform = "linux"): HostEnv {
  const set = new Set(executables);
  return { platform, path: pathVar, pathExt: ".EXE;.CMD", isExecutable: (f) => set.has(f) };
}

describe("resolveServer", () => {
  it("uses notelint.server.command first, found on PATH", () => {
    const r = resolveServer(
      reader({ "server.command": ["notelint", "server"], "server.python": "/usr/bin/python3" }),
      env(["/usr/bin/notelint", "/usr/bin/python3"]),
    );
    assert.deepEqual(r, { ok: true, command: "/usr/bin/notelint", args: ["server"], source: "notelint.server.command" });
  });

  it("takes a command given as a path as it is", () => {
    const r = resolveServer(reader({ "server.command": ["/venv/bin/notelint", "server"] }), env(["/venv/bin/notelint"]));
    assert.ok(r.ok);
    assert.equal(r.command, "/venv/bin/notelint");
  });

  it("says which setting names a missing command", () => {
    const r = resolveServer(reader({ "server.command": ["/nope/notelint", "server"] }), env(["/usr/bin/notelint"]));
    assert.ok(!r.ok);
    assert.match(r.message, /notelint\.server\.command/);
  });

  it("runs the interpreter from notelint.server.python as -m notelint.cli server", () => {
    const r = resolveServer(reader({ "server.command": [], "server.python": "/venv/bin/python" }), env(["/venv/bin/python"]));
    assert.deepEqual(r, {
      ok: true,
      command: "/venv/bin/python",
      args: ["-m", "notelint.cli", "server"],
      source: "notelint.server.python",
    });
  });

  it("reports a missing interpreter", () => {
    const r = resolveServer(reader({ "server.python": "/venv/bin/python" }), env([]));
    assert.ok(!r.ok);
    assert.match(r.message, /notelint\.server\.python/);
  });

  it("falls back to notelint on PATH", () => {
    const r = resolveServer(reader({}), env(["/usr/bin/notelint"]));
    assert.deepEqual(r, { ok: true, command: "/usr/bin/notelint", args: ["server"], source: "PATH" });
  });

  it("explains what to do when nothing is found", () => {
    const r = resolveServer(reader({ "server.command": [], "server.python": "" }), env([]));
    assert.ok(!r.ok);
    assert.match(r.message, /not found on PATH.*notelint\.server\.command or notelint\.server\.python/s);
  });
});

describe("findOnPath", () => {
  it("skips empty PATH entries and finds the first match", () => {
    assert.equal(findOnPath("notelint", env(["/b/notelint", "/c/notelint"], "::/a:/b:/c")), "/b/notelint");
    assert.equal(findOnPath("notelint", env([], undefined)), undefined);
  });

  it("tries PATHEXT on Windows", () => {
    const e = env(["C:\\Py\\Scripts\\notelint.EXE"], "C:\\Windows;C:\\Py\\Scripts", "win32");
    assert.equal(findOnPath("notelint", e), "C:\\Py\\Scripts\\notelint.EXE");
  });
});

describe("cliInvocation", () => {
  it("reuses the server's installation for other subcommands", () => {
    const py = { ok: true as const, command: "/venv/bin/python", args: ["-m", "notelint.cli", "server"], source: "notelint.server.python" as const };
    assert.deepEqual(cliInvocation(py, ["explain", "NL102"], env([])), {
      command: "/venv/bin/python",
      args: ["-m", "notelint.cli", "explain", "NL102"],
    });
  });

  it("falls back to notelint on PATH for a wrapper without a server argument", () => {
    const wrapper = { ok: true as const, command: "/opt/run-notelint", args: [], source: "notelint.server.command" as const };
    assert.deepEqual(cliInvocation(wrapper, ["rules"], env(["/usr/bin/notelint"])), { command: "/usr/bin/notelint", args: ["rules"] });
    assert.equal(cliInvocation({ ok: false, message: "x" }, ["rules"], env([])), undefined);
  });
});

describe("documentSelector", () => {
  it("covers all plain text and Markdown, saved or not, when no folders are set", () => {
    assert.deepEqual(documentSelector(reader({ folders: [] })), [
      { language: "plaintext", scheme: "file" },
      { language: "plaintext", scheme: "untitled" },
      { language: "markdown", scheme: "file" },
      { language: "markdown", scheme: "untitled" },
      { language: "clinical-note", scheme: "file" },
      { language: "clinical-note", scheme: "untitled" },
    ]);
  });

  it("limits plain text and Markdown to the folders, never clinical-note", () => {
    const selector = documentSelector(reader({ folders: ["notes/", "  ", "/abs/reports"] }));
    assert.deepEqual(selector, [
      { language: "plaintext", scheme: "file", pattern: "**/notes/**" },
      { language: "plaintext", scheme: "file", pattern: "/abs/reports/**" },
      { language: "markdown", scheme: "file", pattern: "**/notes/**" },
      { language: "markdown", scheme: "file", pattern: "/abs/reports/**" },
      { language: "clinical-note", scheme: "file" },
      { language: "clinical-note", scheme: "untitled" },
    ]);
  });

  it("turns folder entries into globs over absolute paths", () => {
    assert.equal(folderGlob("notes"), "**/notes/**");
    assert.equal(folderGlob("./notes/*.txt"), "**/notes/*.txt");
    assert.equal(folderGlob("**/reports/*.md"), "**/reports/*.md");
    assert.equal(folderGlob("C:\\charts\\"), "C:/charts/**");
    assert.equal(folderGlob(""), undefined);
  });
});

describe("buildOptions", () => {
  it("sends every server option the user set, in the server's shape", () => {
    const { options, problems } = buildOptions(
      reader({
        profile: "ash",
        select: ["NL1", " NL401 "],
        ignore: ["NL7"],
        severity: { NL202: "hint", NL101: "Error" },
        rules: ["policies/"],
        run: "onSave",
        debounceMs: 0,
        folders: ["notes"],
        "server.command": ["notelint", "server"],
      }),
    );
    assert.deepEqual(options, {
      profile: "ash",
      select: ["NL1", "NL401"],
      ignore: ["NL7"],
      severity: { NL202: "hint", NL101: "error" },
      rules: ["policies/"],
      run: "onSave",
      debounceMs: 0,
    });
    assert.deepEqual(problems, []);
  });

  it("leaves out unset values so the project's notelint.toml applies", () => {
    const { options, problems } = buildOptions(
      reader({ profile: "", select: [], ignore: [], severity: {}, rules: [], run: "onType", debounceMs: 150 }),
    );
    assert.deepEqual(options, { run: "onType", debounceMs: 150 });
    assert.deepEqual(problems, []);
  });

  it("drops invalid values and says why", () => {
    const { options, problems } = buildOptions(
      reader({ profile: "icd", select: "NL1", severity: { NL1: "loud", NL2: "hint" }, run: "sometimes", debounceMs: -1 }),
    );
    assert.deepEqual(options, { severity: { NL2: "hint" } });
    assert.equal(problems.length, 5);
    assert.match(problems.join("\n"), /notelint\.profile.*\n.*notelint\.select.*\n.*NL1.*\n.*notelint\.run.*\n.*debounceMs/);
  });
});

describe("planChange", () => {
  const affects = (...keys: string[]) => (section: string) =>
    keys.some((k) => k === section || k.startsWith(section + "."));

  it("restarts when the server command, interpreter or folders change", () => {
    assert.equal(planChange(affects("notelint.server.command"), {}, {}), "restart");
    assert.equal(planChange(affects("notelint.server.python"), {}, {}), "restart");
    assert.equal(planChange(affects("notelint.folders"), {}, {}), "restart");
  });

  it("notifies for other notelint settings", () => {
    assert.equal(planChange(affects("notelint.profile"), { run: "onType" }, { run: "onType", profile: "ash" }), "notify");
  });

  it("restarts when a value sent at initialize is unset", () => {
    assert.equal(planChange(affects("notelint.profile"), { profile: "ash" }, {}), "restart");
  });

  it("ignores other extensions' settings", () => {
    assert.equal(planChange(affects("editor.fontSize"), {}, {}), "none");
  });
});

describe("reading JSON", () => {
  it("summarizes the notelint.report answer", () => {
    const report = {
      version: 3,
      sha256: "00",
      path: "/notes/a.txt",
      findings: [{ rule: "NL102" }, { rule: "NL104" }],
      codes: {
        reported: [{ code: "47000", modifiers: [], units: 1 }],
        suggested: [{ code: "76942", modifiers: ["26", "RT"], reason: "Ultrasound guidance, documented." }],
      },
    };
    const summary = summarizeReport(report);
    assert.equal(summary.findings, 2);
    assert.equal(summary.path, "/notes/a.txt");
    assert.deepEqual(summary.reported, [{ code: "47000", modifiers: [], units: 1 }]);
    assert.deepEqual(summary.suggested, [{ code: "76942", modifiers: ["26", "RT"], reason: "Ultrasound guidance, documented." }]);
    assert.equal(codeLabel(summary.suggested[0]!), "76942-26-RT");
    assert.throws(() => summarizeReport(null), /expected a JSON object/);
  });

  it("reads notelint rules --format json", () => {
    const rules = parseRules(
      JSON.stringify([
        { rule: "NL101", name: "missing-interpretation", severity: "warning", summary: "Not interpreted.", profiles: ["cpt"] },
        { nonsense: true },
      ]),
    );
    assert.deepEqual(rules, [{ rule: "NL101", name: "missing-interpretation", severity: "warning", summary: "Not interpreted." }]);
    assert.throws(() => parseRules("{}"), /expected a JSON list/);
  });
});
