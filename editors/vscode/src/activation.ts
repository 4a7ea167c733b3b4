/**
 * The extension's decisions, kept free of the `vscode` module so that they can be unit-tested
 * under plain Node: which server command to run, which documents to lint, what options to send,
 * what a settings change needs, and how to read the server's and CLI's JSON.
 *
 * Everything that touches VS Code or the machine comes in through the small interfaces below.
 */

import * as path from "node:path";

/** Reads `notelint.*` settings; keys are relative to the `notelint` section. */
export interface SettingsReader {
  get(key: string): unknown;
}

/** The parts of the machine that finding the server needs. */
export interface HostEnv {
  platform: NodeJS.Platform;
  /** The PATH variable. */
  path: string | undefined;
  /** The PATHEXT variable (Windows). */
  pathExt?: string | undefined;
  /** True when `file` exists and can be run (or, on Windows, exists). */
  isExecutable(file: string): boolean;
}

export const SECTION = "notelint";
export const LANGUAGE_ID = "clinical-note";
export const REPORT_COMMAND = "notelint.report";
export const PROFILES = ["cpt", "ash"] as const;
export const SEVERITIES = ["error", "warning", "information", "hint"] as const;
export const RUN_MODES = ["onType", "onSave"] as const;
/** Settings that change how the server is started or which documents it sees: a restart. */
export const RESTART_KEYS = ["server.command", "server.python", "folders"] as const;

// --- finding the server -------------------------------------------------------------------

export type ServerSource = "notelint.server.command" | "notelint.server.python" | "PATH";

export type ServerResolution =
  | { ok: true; command: string; args: string[]; source: ServerSource }
  | { ok: false; message: string };

/** Where `name` is on PATH, like `which`; undefined when it is not. */
export function findOnPath(name: string, env: HostEnv): string | undefined {
  const windows = env.platform === "win32";
  const p = windows ? path.win32 : path.posix;
  const exts = windows
    ? ["", ...(env.pathExt ?? ".COM;.EXE;.BAT;.CMD").split(";").filter((e) => e.length > 0)]
    : [""];
  for (const dir of (env.path ?? "").split(windows ? ";" : ":")) {
    if (dir.length === 0) {
      continue;
    }
    for (const ext of exts) {
      const candidate = p.join(dir, name + ext);
      if (env.isExecutable(candidate)) {
        return candidate;
      }
    }
  }
  return undefined;
}

function strings(value: unknown): string[] {
  return Array.isArray(value)
    ? value.filter((v): v is string => typeof v === "string").map((v) => v.trim())
    : [];
}

/**
 * The server command: `notelint.server.command` (an argv array), else
 * `notelint.server.python` (`PYTHON -m notelint.cli server`), else `notelint server` from PATH.
 */
export function resolveServer(settings: SettingsReader, env: HostEnv): ServerResolution {
  const argv = strings(settings.get("server.command")).filter((a) => a.length > 0);
  if (argv.length > 0) {
    const [command, ...args] = argv as [string, ...string[]];
    const looksLikePath = command.includes("/") || command.includes("\\");
    const found = looksLikePath
      ? env.isExecutable(command)
        ? command
        : undefined
      : findOnPath(command, env);
    if (found === undefined) {
      return {
        ok: false,
        message: `notelint: the server command "${command}" from notelint.server.command was not found.`,
      };
    }
    return { ok: true, command: found, args, source: "notelint.server.command" };
  }
  const pythonSetting = settings.get("server.python");
  const python = typeof pythonSetting === "string" ? pythonSetting.trim() : "";
  if (python.length > 0) {
    const looksLikePath = python.includes("/") || python.includes("\\");
    const found = looksLikePath ? (env.isExecutable(python) ? python : undefined) : findOnPath(python, env);
    if (found === undefined) {
      return {
        ok: false,
        message: `notelint: the Python interpreter "${python}" from notelint.server.python was not found.`,
      };
    }
    return { ok: true, command: found, args: ["-m", "notelint.cli", "server"], source: "notelint.server.python" };
  }
  const onPath = findOnPath("notelint", env);
  if (onPath === undefined) {
    return {
      ok: false,
      message:
        "notelint: the notelint language server was not found on PATH. Install notelint " +
        "(Python 3.11+), or set notelint.server.command or notelint.server.python.",
    };
  }
  return { ok: true, command: onPath, args: ["server"], source: "PATH" };
}

/**
 * The command line for a CLI subcommand (`explain NL102`, `rules --format json`) from the same
 * installation as the server: the server's argv up to its `server` argument, then `sub`.
 */
export function cliInvocation(
  server: ServerResolution,
  sub: string[],
  env: HostEnv,
): { command: string; args: string[] } | undefined {
  if (server.ok) {
    const at = server.args.lastIndexOf("server");
    if (at >= 0) {
      return { command: server.command, args: [...server.args.slice(0, at), ...sub] };
    }
  }
  const onPath = findOnPath("notelint", env);
  return onPath === undefined ? undefined : { command: onPath, args: sub };
}

// --- which documents ------------------------------------------------------------------------

/** The shape of an LSP/VS Code document filter, without importing either. */
export interface DocumentFilter {
  language: string;
  scheme: string;
  pattern?: string;
}

/**
 * A `notelint.folders` entry as a glob over absolute paths: a plain folder name (`notes`,
 * `notes/`) covers everything under it anywhere in the workspace; a relative glob is matched
 * at any depth (`notes/*.txt` → `**\/notes/*.txt`); absolute paths and `**` globs are kept.
 */
export function folderGlob(entry: string): string | undefined {
  let glob = entry.trim().replace(/\\/g, "/");
  if (glob.length === 0) {
    return undefined;
  }
  if (glob.endsWith("/")) {
    glob += "**";
  } else if (!/[*?{[]/.test(glob)) {
    glob += "/**";
  }
  const absolute = glob.startsWith("/") || /^[A-Za-z]:\//.test(glob);
  if (!absolute && !glob.startsWith("**")) {
    glob = "**/" + glob.replace(/^\.\//, "");
  }
  return glob;
}

/**
 * Plain text and Markdown in the configured folders (all of them, and unsaved buffers, when
 * `notelint.folders` is empty), and `clinical-note` documents anywhere.
 */
export function documentSelector(settings: SettingsReader): DocumentFilter[] {
  const globs = strings(settings.get("folders"))
    .map(folderGlob)
    .filter((g): g is string => g !== undefined);
  const selector: DocumentFilter[] = [];
  for (const language of ["plaintext", "markdown"]) {
    if (globs.length === 0) {
      selector.push({ language, scheme: "file" }, { language, scheme: "untitled" });
    } else {
      for (const pattern of globs) {
        selector.push({ language, scheme: "file", pattern });
      }
    }
  }
  selector.push({ language: LANGUAGE_ID, scheme: "file" }, { language: LANGUAGE_ID, scheme: "untitled" });
  return selector;
}

// --- options for the server ---------------------------------------------------------------

/** The server's options (server/notelint/lsp/options.py); absent keys come from notelint.toml. */
export interface NotelintOptions {
  profile?: (typeof PROFILES)[number];
  select?: string[];
  ignore?: string[];
  severity?: Record<string, (typeof SEVERITIES)[number]>;
  rules?: string[];
  run?: (typeof RUN_MODES)[number];
  debounceMs?: number;
}

export interface BuiltOptions {
  options: NotelintOptions;
  /** One message per setting value that was not sent. */
  problems: string[];
}

function isOneOf<T extends string>(values: readonly T[], value: unknown): value is T {
  return typeof value === "string" && (values as readonly string[]).includes(value);
}

/**
 * The options to send, from VS Code settings. Only what the user set is sent: an empty profile,
 * select, ignore, severity or rules means "as the project's notelint.toml says", which the
 * server only does for a key that is absent.
 */
export function buildOptions(settings: SettingsReader): BuiltOptions {
  const options: NotelintOptions = {};
  const problems: string[] = [];

  const profile = settings.get("profile");
  if (isOneOf(PROFILES, profile)) {
    options.profile = profile;
  } else if (profile !== undefined && profile !== null && profile !== "") {
    problems.push(`notelint.profile: expected one of ${PROFILES.join(", ")}`);
  }

  for (const key of ["select", "ignore", "rules"] as const) {
    const raw = settings.get(key);
    if (raw === undefined || raw === null) {
      continue;
    }
    if (!Array.isArray(raw)) {
      problems.push(`notelint.${key}: expected a list of strings`);
      continue;
    }
    const items = strings(raw).filter((s) => s.length > 0);
    if (items.length < raw.length) {
      problems.push(`notelint.${key}: ignored entries that are not non-empty strings`);
    }
    if (items.length > 0) {
      options[key] = items;
    }
  }

  const severity = settings.get("severity");
  if (severity !== undefined && severity !== null) {
    if (typeof severity !== "object" || Array.isArray(severity)) {
      problems.push('notelint.severity: expected {"NL102": "error", ...}');
    } else {
      const levels: Record<string, (typeof SEVERITIES)[number]> = {};
      for (const [rule, level] of Object.entries(severity as Record<string, unknown>)) {
        const normalized = typeof level === "string" ? level.trim().toLowerCase() : level;
        if (isOneOf(SEVERITIES, normalized)) {
          levels[rule.trim()] = normalized;
        } else {
          problems.push(`notelint.severity: ${rule}: expected one of ${SEVERITIES.join(", ")}`);
        }
      }
      if (Object.keys(levels).length > 0) {
        options.severity = levels;
      }
    }
  }

  const run = settings.get("run");
  if (isOneOf(RUN_MODES, run)) {
    options.run = run;
  } else if (run !== undefined && run !== null) {
    problems.push('notelint.run: expected "onType" or "onSave"');
  }

  const debounce = settings.get("debounceMs");
  if (typeof debounce === "number" && Number.isFinite(debounce) && debounce >= 0) {
    options.debounceMs = debounce;
  } else if (debounce !== undefined && debounce !== null) {
    problems.push("notelint.debounceMs: expected a number of milliseconds, 0 or more");
  }

  return { options, problems };
}

/** The answer to `workspace/configuration` items: ours for section "notelint", else undefined. */
export function answersConfiguration(section: string | undefined): boolean {
  return section === SECTION;
}

export type ChangePlan = "restart" | "notify" | "none";

/**
 * What a settings change needs. `affects` is VS Code's `event.affectsConfiguration`. A changed
 * server command or folder list needs a new client; so does a key that was sent at initialize
 * and is now unset, since the server keeps initializationOptions under what it pulls later.
 */
export function planChange(
  affects: (section: string) => boolean,
  initial: NotelintOptions,
  now: NotelintOptions,
): ChangePlan {
  if (RESTART_KEYS.some((key) => affects(`${SECTION}.${key}`))) {
    return "restart";
  }
  if (!affects(SECTION)) {
    return "none";
  }
  const dropped = (Object.keys(initial) as (keyof NotelintOptions)[]).some((key) => now[key] === undefined);
  return dropped ? "restart" : "notify";
}

// --- the server's and CLI's JSON --------------------------------------------------------------

export interface CodeEntry {
  code: string;
  modifiers: string[];
  reason?: string;
  units?: number;
}

export interface ReportSummary {
  path: string;
  suggested: CodeEntry[];
  reported: CodeEntry[];
  findings: number;
}

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function codeEntries(value: unknown): CodeEntry[] {
  if (!Array.isArray(value)) {
    return [];
  }
  const entries: CodeEntry[] = [];
  for (const item of value) {
    const r = record(item);
    if (r === undefined || typeof r.code !== "string") {
      continue;
    }
    const entry: CodeEntry = { code: r.code, modifiers: strings(r.modifiers) };
    if (typeof r.reason === "string") {
      entry.reason = r.reason;
    }
    if (typeof r.units === "number") {
      entry.units = r.units;
    }
    entries.push(entry);
  }
  return entries;
}

/** The codes in the `notelint.report` answer (the CLI's JSON for one note). */
export function summarizeReport(report: unknown): ReportSummary {
  const r = record(report);
  if (r === undefined) {
    throw new Error("notelint.report: expected a JSON object");
  }
  const codes = record(r.codes) ?? {};
  return {
    path: typeof r.path === "string" ? r.path : "",
    suggested: codeEntries(codes.suggested),
    reported: codeEntries(codes.reported),
    findings: Array.isArray(r.findings) ? r.findings.length : 0,
  };
}

/** `76942-26-RT`, as the code would be written on the coding line. */
export function codeLabel(entry: CodeEntry): string {
  return [entry.code, ...entry.modifiers].join("-");
}

export interface RuleEntry {
  rule: string;
  name: string;
  summary: string;
  severity: string;
}

/** The rules from `notelint rules --format json`. */
export function parseRules(json: string): RuleEntry[] {
  const data: unknown = JSON.parse(json);
  if (!Array.isArray(data)) {
    throw new Error("notelint rules: expected a JSON list");
  }
  const rules: RuleEntry[] = [];
  for (const item of data) {
    const r = record(item);
    if (r === undefined || typeof r.rule !== "string") {
      continue;
    }
    rules.push({
      rule: r.rule,
      name: typeof r.name === "string" ? r.name : "",
      summary: typeof r.summary === "string" ? r.summary : "",
      severity: typeof r.severity === "string" ? r.severity : "",
    });
  }
  return rules;
}
