/**
 * VS Code glue: starts the notelint language server with vscode-languageclient (stdio), keeps its
 * settings in step, and adds the commands. The decisions live in ./activation (no `vscode`).
 */

import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as vscode from "vscode";
import {
  DidChangeConfigurationNotification,
  ExecuteCommandRequest,
  LanguageClient,
  type LanguageClientOptions,
  type ServerOptions,
  TransportKind,
} from "vscode-languageclient/node";
import {
  type HostEnv,
  type NotelintOptions,
  REPORT_COMMAND,
  SECTION,
  type ServerResolution,
  type SettingsReader,
  answersConfiguration,
  buildOptions,
  cliInvocation,
  codeLabel,
  documentSelector,
  parseRules,
  planChange,
  resolveServer,
  summarizeReport,
} from "./activation";

const hostEnv: HostEnv = {
  platform: process.platform,
  path: process.env.PATH,
  pathExt: process.env.PATHEXT,
  isExecutable(file: string): boolean {
    try {
      fs.accessSync(file, process.platform === "win32" ? fs.constants.F_OK : fs.constants.X_OK);
      return fs.statSync(file).isFile();
    } catch {
      return false;
    }
  },
};

function settings(): SettingsReader {
  return vscode.workspace.getConfiguration(SECTION);
}

let client: LanguageClient | undefined;
let server: ServerResolution | undefined;
let initialOptions: NotelintOptions = {};
let log: vscode.OutputChannel | undefined;
let explainChannel: vscode.OutputChannel | undefined;
let shownProblems = "";

function showProblems(problems: string[]): void {
  const text = problems.join("; ");
  if (text.length > 0 && text !== shownProblems) {
    void vscode.window.showWarningMessage(text);
  }
  shownProblems = text;
}

function currentOptions(): NotelintOptions {
  const { options, problems } = buildOptions(settings());
  showProblems(problems);
  return options;
}

async function showMissingServer(context: vscode.ExtensionContext, message: string): Promise<void> {
  const install = "How to install";
  const open = "Open Settings";
  const choice = await vscode.window.showErrorMessage(message, install, open);
  if (choice === install) {
    // The extension's README (shipped in the .vsix) has an "Installing the server" section.
    // (vsce stores it as readme.md; a development checkout has README.md.)
    const candidates = ["README.md", "readme.md"].map((name) => vscode.Uri.joinPath(context.extensionUri, name));
    const readme = candidates.find((uri) => fs.existsSync(uri.fsPath)) ?? candidates[0];
    await vscode.commands.executeCommand("markdown.showPreview", readme);
  } else if (choice === open) {
    await vscode.commands.executeCommand("workbench.action.openSettings", "notelint.server");
  }
}

async function startClient(context: vscode.ExtensionContext): Promise<void> {
  server = resolveServer(settings(), hostEnv);
  if (!server.ok) {
    void showMissingServer(context, server.message);
    return;
  }
  log ??= vscode.window.createOutputChannel("notelint");
  log.appendLine(`starting ${server.command} ${server.args.join(" ")} (from ${server.source})`);
  const serverOptions: ServerOptions = {
    command: server.command,
    args: server.args,
    transport: TransportKind.stdio,
  };
  initialOptions = currentOptions();
  const clientOptions: LanguageClientOptions = {
    documentSelector: documentSelector(settings()),
    initializationOptions: initialOptions,
    outputChannel: log,
    synchronize: { configurationSection: SECTION },
    middleware: {
      workspace: {
        // Answer section "notelint" with the options as the server reads them (not the raw
        // settings, whose empty defaults would override the project's notelint.toml).
        configuration: async (params, token, next) => {
          const answers = await next(params, token);
          if (!Array.isArray(answers)) {
            return answers;
          }
          return params.items.map((item, i): unknown =>
            answersConfiguration(item.section) ? currentOptions() : answers[i],
          );
        },
        // Send the same shape on change; the server's own registration (sections undefined)
        // fires for every VS Code setting, so only ours is forwarded.
        didChangeConfiguration: async (sections) => {
          const running = client;
          if (sections === undefined || running === undefined || !running.isRunning()) {
            return;
          }
          await running.sendNotification(DidChangeConfigurationNotification.type, {
            settings: { [SECTION]: currentOptions() },
          });
        },
      },
      // The server's summary lens runs notelint.report, which only returns JSON: show it.
      provideCodeLenses: async (document, token, next) => {
        const lenses = await next(document, token);
        for (const lens of lenses ?? []) {
          if (lens.command?.command === REPORT_COMMAND) {
            lens.command = { ...lens.command, command: "notelint.showSuggestedCodes" };
          }
        }
        return lenses;
      },
    },
  };
  client = new LanguageClient("notelint", "notelint", serverOptions, clientOptions);
  try {
    await client.start();
  } catch (error) {
    void vscode.window.showErrorMessage(
      `notelint: the language server did not start (${server.command} ${server.args.join(" ")}): ${String(error)}`,
    );
  }
}

async function stopClient(): Promise<void> {
  const running = client;
  client = undefined;
  if (running !== undefined) {
    try {
      await running.stop();
    } catch {
      // already stopped or never started
    }
  }
}

async function restart(context: vscode.ExtensionContext): Promise<void> {
  await stopClient();
  await startClient(context);
}

function runCli(command: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { timeout: 20000, maxBuffer: 8 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) {
        reject(new Error(stderr.trim() || error.message));
      } else {
        resolve(stdout);
      }
    });
  });
}

async function explainRule(ruleArg?: unknown): Promise<void> {
  const where = server ?? resolveServer(settings(), hostEnv);
  const list = cliInvocation(where, ["rules", "--format", "json"], hostEnv);
  if (list === undefined) {
    void vscode.window.showErrorMessage("notelint: cannot find the notelint command to explain rules.");
    return;
  }
  let rule = typeof ruleArg === "string" ? ruleArg : undefined;
  if (rule === undefined) {
    try {
      const rules = parseRules(await runCli(list.command, list.args));
      const picked = await vscode.window.showQuickPick(
        rules.map((r) => ({ label: r.rule, description: `${r.name} · ${r.severity}`, detail: r.summary })),
        { placeHolder: "Explain which notelint rule?", matchOnDescription: true, matchOnDetail: true },
      );
      rule = picked?.label;
    } catch (error) {
      void vscode.window.showErrorMessage(`notelint: could not list the rules: ${String(error)}`);
      return;
    }
  }
  if (rule === undefined) {
    return;
  }
  const explain = cliInvocation(where, ["explain", rule], hostEnv);
  if (explain === undefined) {
    return;
  }
  try {
    const text = await runCli(explain.command, explain.args);
    explainChannel ??= vscode.window.createOutputChannel("notelint: explain");
    explainChannel.clear();
    explainChannel.append(text);
    explainChannel.show(true);
  } catch (error) {
    void vscode.window.showErrorMessage(`notelint explain ${rule}: ${String(error)}`);
  }
}

async function showSuggestedCodes(uriArg?: unknown): Promise<void> {
  const uri = typeof uriArg === "string" ? uriArg : vscode.window.activeTextEditor?.document.uri.toString();
  if (uri === undefined) {
    void vscode.window.showInformationMessage("notelint: open a note first.");
    return;
  }
  const running = client;
  if (running === undefined || !running.isRunning()) {
    void vscode.window.showErrorMessage("notelint: the language server is not running.");
    return;
  }
  let summary;
  try {
    const report: unknown = await running.sendRequest(ExecuteCommandRequest.type, {
      command: REPORT_COMMAND,
      arguments: [uri],
    });
    summary = summarizeReport(report);
  } catch (error) {
    void vscode.window.showErrorMessage(
      `notelint: no report for this document (is it one notelint checks? see notelint.folders): ${String(error)}`,
    );
    return;
  }
  const findings = `${summary.findings} finding${summary.findings === 1 ? "" : "s"}`;
  if (summary.suggested.length === 0) {
    const reported = summary.reported.map(codeLabel).join(", ") || "none";
    void vscode.window.showInformationMessage(
      `notelint: no codes suggested for this note (reported: ${reported}; ${findings}).`,
    );
    return;
  }
  const picked = await vscode.window.showQuickPick(
    summary.suggested.map((entry) => ({
      label: codeLabel(entry),
      description: entry.modifiers.length > 0 ? `modifiers ${entry.modifiers.join(", ")}` : "",
      detail: entry.reason ?? "",
    })),
    { placeHolder: `Codes the note supports (${findings}); pick one to copy it`, matchOnDetail: true },
  );
  if (picked !== undefined) {
    await vscode.env.clipboard.writeText(picked.label);
    void vscode.window.showInformationMessage(`notelint: copied ${picked.label}`);
  }
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  context.subscriptions.push(
    vscode.commands.registerCommand("notelint.restartServer", () => restart(context)),
    vscode.commands.registerCommand("notelint.explainRule", (rule?: unknown) => explainRule(rule)),
    vscode.commands.registerCommand("notelint.showSuggestedCodes", (uri?: unknown) => showSuggestedCodes(uri)),
    vscode.workspace.onDidChangeConfiguration((event) => {
      // "notify" is done by the client's configuration middleware above.
      if (planChange((s) => event.affectsConfiguration(s), initialOptions, buildOptions(settings()).options) === "restart") {
        void restart(context);
      }
    }),
    { dispose: () => void stopClient() },
  );
  await startClient(context);
}

export async function deactivate(): Promise<void> {
  await stopClient();
}
