/** Tokenizes lines with the clinical-note grammar as VS Code does (vscode-textmate + Oniguruma). */

import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { before, describe, it } from "node:test";
import * as oniguruma from "vscode-oniguruma";
import * as textmate from "vscode-textmate";

const root = path.resolve(__dirname, "..", "..");
let grammar: textmate.IGrammar;

before(async () => {
  const wasm = fs.readFileSync(require.resolve("vscode-oniguruma/release/onig.wasm"));
  await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));
  const registry = new textmate.Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (patterns) => new oniguruma.OnigScanner(patterns),
      createOnigString: (s) => new oniguruma.OnigString(s),
    }),
    loadGrammar: (scopeName) => {
      if (scopeName !== "text.clinical-note") {
        return Promise.resolve(null);
      }
      const file = path.join(root, "syntaxes", "clinical-note.tmLanguage.json");
      return Promise.resolve(textmate.parseRawGrammar(fs.readFileSync(file, "utf8"), file));
    },
  });
  const loaded = await registry.loadGrammar("text.clinical-note");
  assert.ok(loaded);
  grammar = loaded;
});

/** The text of each token whose scopes include `scope` (a prefix such as "constant.numeric.code"). */
function tokens(line: string, scope: string): string[] {
  const { tokens: list } = grammar.tokenizeLine(line, textmate.INITIAL);
  return list
    .filter((t) => t.scopes.some((s) => s.startsWith(scope)))
    .map((t) => line.slice(t.startIndex, t.endIndex));
}

describe("clinical-note grammar", () => {
  it("highlights section headings: ALL CAPS lines, labels, Markdown headings", () => {
    assert.deepEqual(tokens("PROCEDURE NOTE", "entity.name.section"), ["PROCEDURE NOTE"]);
    assert.deepEqual(tokens("FINDINGS:", "entity.name.section"), ["FINDINGS"]);
    assert.deepEqual(tokens("MEDICAL NECESSITY: The lesion lies deep.", "entity.name.section"), ["MEDICAL NECESSITY"]);
    assert.deepEqual(tokens("Post-procedure diagnosis: same", "entity.name.section"), ["Post-procedure diagnosis"]);
    assert.deepEqual(tokens("## Technique", "entity.name.section"), ["Technique"]);
    assert.deepEqual(tokens("The needle was then advanced: slowly.", "entity.name.section"), []);
    assert.deepEqual(tokens("CT", "entity.name.section"), ["CT"]);
    assert.deepEqual(tokens("A", "entity.name.section"), []);
  });

  it("highlights CPT and Category III codes with their modifiers", () => {
    assert.deepEqual(tokens("CPT: 47000, 76942-26-RT, 0232T", "constant.numeric.code"), ["47000", "76942", "0232T"]);
    assert.deepEqual(tokens("CPT: 47000, 76942-26-RT, 0232T", "keyword.other.modifier"), ["-26", "-RT"]);
    assert.deepEqual(tokens("Append modifier -59 to 77002.", "keyword.other.modifier"), ["-59"]);
    assert.deepEqual(tokens("22-gauge needle, 1.25 mL, 123456 MRN, non-CT", "constant.numeric.code"), []);
    assert.deepEqual(tokens("non-CT images", "keyword.other.modifier"), []);
  });

  it("highlights placeholders", () => {
    const line = "Images saved to [***] by {{physician}} at ____ on [**Date**].";
    assert.deepEqual(tokens(line, "variable.other.placeholder"), ["[***]", "{{physician}}", "____", "[**Date**]"]);
  });
});
