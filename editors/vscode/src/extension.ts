/**
 * The VS Code client of `infill-lsp`: starts the server for Python documents, shows its inline
 * completions (vscode-languageclient's proposed inline completion feature), offers "Rewrite
 * selection", shows next-edit suggestions (./nextEdit), forwards the document's diagnostics, and
 * keeps a status-bar item with the model,
 * the last latency and whether a request is running.
 *
 * It knows VS Code and the LSP client; what it sends is defined in ./protocol (shared with the
 * Node test), and everything about models is the server's business.
 */
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import * as vscode from "vscode";
import {
  CloseAction,
  ClientCapabilities,
  ErrorAction,
  ExecuteCommandRequest,
  FeatureState,
  LanguageClient,
  LanguageClientOptions,
  ServerOptions,
  StaticFeature,
  TransportKind,
} from "vscode-languageclient/node";
import {
  DiagnosticsNotification,
  EXTENSION_CAPABILITIES,
  STATUS_COMMAND,
  ServerStatus,
  describeStatus,
  documentSelector,
  LANGUAGES,
  requestRewrite,
  serverSettings,
  tooLarge,
} from "./protocol";
import { NextEditController } from "./nextEdit";

const SECTION = "infill";
const INSTALL_FIX = "Install the server (pip install -e . in the diffusion-infill repository) or set infill.server.path.";

let client: LanguageClient | undefined;
let output: vscode.LogOutputChannel;
let statusItem: vscode.StatusBarItem;
let restarts = 0;
let busy = 0;
let lastStatus: ServerStatus | undefined;
let settingKeys: string[] = [];

// ------------------------------------------------------------------ settings

function config(): vscode.WorkspaceConfiguration {
  return vscode.workspace.getConfiguration(SECTION);
}

/** The documents the client serves: those of the `infill.languages` setting. */
function selector(): { language: string; scheme: string }[] {
  return documentSelector(config().get<string[]>("languages", LANGUAGES));
}

/** The `infill` settings the user set (any scope), by key; defaults are left to the server. */
function explicitSettings(): Record<string, unknown> {
  const section = config();
  const out: Record<string, unknown> = {};
  for (const key of settingKeys) {
    const seen = section.inspect(key);
    const value = seen?.workspaceFolderValue ?? seen?.workspaceValue ?? seen?.globalValue;
    if (value !== undefined) {
      out[key] = value;
    }
  }
  return out;
}

function maxBytes(): number {
  return config().get<number>("maxDocumentBytes", 2_000_000);
}

function blocked(document: vscode.TextDocument): boolean {
  return tooLarge(document.getText(), maxBytes());
}

// ------------------------------------------------------------------ finding the server

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    const candidate = path.join(dir, name);
    if (dir && fs.existsSync(candidate)) {
      return candidate;
    }
  }
  return undefined;
}

/** The server executable: the setting, a workspace .venv, or PATH. */
function findServer(): string | undefined {
  const configured = config().get<string>("server.path", "").trim();
  if (configured) {
    // a relative path (".venv/bin/infill-lsp") is the workspace's, not the extension host's folder
    const tries = path.isAbsolute(configured) ? [configured]
      : (vscode.workspace.workspaceFolders ?? []).map((folder) => path.join(folder.uri.fsPath, configured));
    return tries.find((candidate) => fs.existsSync(candidate));
  }
  const exe = process.platform === "win32" ? path.join("Scripts", "infill-lsp.exe") : path.join("bin", "infill-lsp");
  for (const folder of vscode.workspace.workspaceFolders ?? []) {
    const candidate = path.join(folder.uri.fsPath, ".venv", exe);
    if (fs.existsSync(candidate)) {
      return candidate;
    }
  }
  return onPath(process.platform === "win32" ? "infill-lsp.exe" : "infill-lsp");
}

/** `infill-lsp --version` runs: null, or why not (a broken or wrong Python environment). */
function preflight(command: string): Promise<string | null> {
  return new Promise((resolve) => {
    execFile(command, ["--version"], { timeout: 30_000 }, (error, _stdout, stderr) => {
      resolve(error ? (stderr.trim().split("\n").pop() || error.message) : null);
    });
  });
}

async function explain(message: string): Promise<void> {
  const choice = await vscode.window.showErrorMessage(`infill: ${message}`, "Open settings", "Show output");
  if (choice === "Open settings") {
    await vscode.commands.executeCommand("workbench.action.openSettings", "infill.server");
  } else if (choice === "Show output") {
    output.show();
  }
}

// ------------------------------------------------------------------ status bar

function showStatus(): void {
  if (!client) {
    statusItem.text = "$(error) infill";
    statusItem.tooltip = "infill: the server is not running";
  } else {
    const latency = typeof lastStatus?.last_latency_ms === "number" ? ` ${Math.round(lastStatus.last_latency_ms)} ms` : "";
    statusItem.text = `${busy > 0 ? "$(sync~spin)" : "$(sparkle)"} infill${latency}`;
    statusItem.tooltip = (lastStatus ? describeStatus(lastStatus) : "infill: starting") + ` | restarts ${restarts}`;
  }
  statusItem.show();
}

async function refreshStatus(): Promise<ServerStatus | undefined> {
  if (!client?.isRunning()) {
    return undefined;
  }
  try {
    lastStatus = (await client.sendRequest(ExecuteCommandRequest.type, { command: STATUS_COMMAND, arguments: [] })) as ServerStatus;
  } catch (error) {
    output.info(`status failed: ${String(error)}`);
  }
  showStatus();
  return lastStatus;
}

/** Run a request with the busy indicator on, and the status refreshed after it. */
async function tracked<T>(work: () => Promise<T>): Promise<T> {
  busy += 1;
  showStatus();
  try {
    return await work();
  } finally {
    busy -= 1;
    void refreshStatus();
  }
}

// ------------------------------------------------------------------ the client

/** Makes sure the capabilities of ./protocol are sent, whatever the client library fills in. */
class RequiredCapabilities implements StaticFeature {
  fillClientCapabilities(capabilities: ClientCapabilities): void {
    merge(capabilities as Record<string, unknown>, EXTENSION_CAPABILITIES as Record<string, unknown>);
  }
  initialize(): void {}
  getState(): FeatureState {
    return { kind: "static" };
  }
  clear(): void {}
}

function merge(target: Record<string, unknown>, source: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(source)) {
    const existing = target[key];
    if (value && typeof value === "object" && !Array.isArray(value)) {
      const child = existing && typeof existing === "object" ? (existing as Record<string, unknown>) : {};
      merge(child, value as Record<string, unknown>);
      target[key] = child;
    } else if (existing === undefined) {
      target[key] = value;
    }
  }
}

function clientOptions(): LanguageClientOptions {
  const maxRestarts = config().get<number>("server.maxRestarts", 3);
  return {
    documentSelector: selector(),
    initializationOptions: serverSettings(explicitSettings()),
    outputChannel: output,
    errorHandler: {
      error: () => ({ action: ErrorAction.Continue }),
      closed: () => {
        if (restarts < maxRestarts) {
          restarts += 1;
          output.info(`the server stopped; restarting (${restarts}/${maxRestarts})`);
          void vscode.window.showWarningMessage(`infill: the server stopped; restarting (${restarts}/${maxRestarts})`);
          return { action: CloseAction.Restart, handled: true };
        }
        void explain(`the server stopped ${restarts + 1} times; not restarting. ` +
          "Run `infill-lsp --check` in a terminal to see why, then use \"Infill: Restart the server\".");
        client = undefined;
        showStatus();
        return { action: CloseAction.DoNotRestart, handled: true };
      },
    },
    middleware: {
      provideInlineCompletionItems: (document, position, context, token, next) =>
        blocked(document) ? undefined : tracked(async () => next(document, position, context, token)),
      provideCompletionItem: (document, position, context, token, next) =>
        blocked(document) ? undefined : tracked(async () => next(document, position, context, token)),
      provideCodeActions: (document, range, context, token, next) =>
        blocked(document) ? undefined : next(document, range, context, token),
      workspace: {
        configuration: (params) =>
          params.items.map((item) => (item.section === SECTION ? serverSettings(explicitSettings()) : null)),
      },
    },
  };
}

async function startClient(): Promise<void> {
  const command = findServer();
  if (!command) {
    const configured = config().get<string>("server.path", "").trim();
    await explain(configured ? `infill.server.path \`${configured}\` is not a file (a relative path is read ` +
      "from the workspace folder)." : `the language server \`infill-lsp\` was not found. ${INSTALL_FIX}`);
    showStatus();
    return;
  }
  const broken = await preflight(command);
  if (broken) {
    await explain(`\`${command} --version\` failed (${broken}): its Python environment looks broken or wrong. ` +
      "Recreate it (python3 -m venv .venv && .venv/bin/pip install -e .) or point infill.server.path at a working one.");
    showStatus();
    return;
  }
  const args = config().get<string[]>("server.args", []);
  const serverOptions: ServerOptions = { command, args, transport: TransportKind.stdio };
  // The editor menu offers "Rewrite selection" in these languages (package.json: editorLangId in infill.languages).
  await vscode.commands.executeCommand("setContext", "infill.languages", config().get<string[]>("languages", LANGUAGES));
  const created = new LanguageClient("infill", "infill", serverOptions, clientOptions());
  // Inline completion is a standard feature from vscode-languageclient 10 (LSP 3.18); the
  // proposed ones are registered too, as version 9 needed for it (see protocol.ts).
  created.registerProposedFeatures();
  created.registerFeature(new RequiredCapabilities());
  client = created;
  showStatus();
  try {
    await created.start();
    output.info(`started ${command}`);
    void refreshStatus();
    forwardAllDiagnostics();
  } catch (error) {
    client = undefined;
    await created.stop().catch(() => undefined); // else the library restarts it unseen, and it outlives deactivate
    showStatus();
    await explain(`the server did not start: ${String(error)}. ${INSTALL_FIX}`);
  }
}

let restarting: Promise<void> = Promise.resolve();

/** Restarts run one after another (two settings saves in a row started two servers, one orphaned). */
function restartClient(): Promise<void> {
  restarting = restarting.then(restartNow, restartNow);
  return restarting;
}

async function restartNow(): Promise<void> {
  const old = client;
  client = undefined;
  restarts = 0;
  if (old) {
    await old.stop().catch(() => undefined);
  }
  await startClient();
}

// ------------------------------------------------------------------ diagnostics forwarding

const pending = new Map<string, NodeJS.Timeout>();

function forwardDiagnostics(uri: vscode.Uri): void {
  const key = uri.toString();
  clearTimeout(pending.get(key));
  pending.set(key, setTimeout(() => {
    pending.delete(key);
    const document = vscode.workspace.textDocuments.find((d) => d.uri.toString() === key);
    if (!client?.isRunning() || !document || !vscode.languages.match(selector(), document) ||
        !config().get<boolean>("forwardDiagnostics", true) || blocked(document)) {
      return;
    }
    const diagnostics = client.code2ProtocolConverter.asDiagnosticsSync(vscode.languages.getDiagnostics(uri));
    void client.sendNotification(DiagnosticsNotification, { uri: key, diagnostics });
  }, 300));
}

function forwardAllDiagnostics(): void {
  for (const document of vscode.workspace.textDocuments) {
    forwardDiagnostics(document.uri);
  }
}

// ------------------------------------------------------------------ commands

async function rewriteSelection(): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  if (!editor || editor.selection.isEmpty) {
    void vscode.window.showInformationMessage("infill: select the code to rewrite first");
    return;
  }
  const running = client;
  if (!running?.isRunning()) {
    await explain("the server is not running");
    return;
  }
  const document = editor.document;
  if (blocked(document)) {
    void vscode.window.showWarningMessage(`infill: this document is larger than infill.maxDocumentBytes (${maxBytes()})`);
    return;
  }
  const version = document.version;
  const range = running.code2ProtocolConverter.asRange(editor.selection);
  try {
    const edit = await tracked(async () => vscode.window.withProgress(
      { location: vscode.ProgressLocation.Window, title: "infill: rewriting" },
      () => requestRewrite((method, params) => running.sendRequest(method, params), document.uri.toString(), range)));
    if (!edit) {
      void vscode.window.showInformationMessage("infill: the server offered no rewrite for this selection");
    } else if (document.version !== version) {
      void vscode.window.showWarningMessage("infill: the document changed while rewriting; not applied");
    } else {
      // The server marks the edit "needs confirmation": VS Code shows it in the refactor
      // preview, where the user applies or discards it.
      await vscode.workspace.applyEdit(await running.protocol2CodeConverter.asWorkspaceEdit(edit),
        { isRefactoring: true });
    }
  } catch (error) {
    void vscode.window.showErrorMessage(`infill: rewrite failed: ${error instanceof Error ? error.message : String(error)}`);
  }
}

async function showStatusMessage(): Promise<void> {
  const status = await refreshStatus();
  const text = status ? describeStatus(status) : "the server is not running";
  void vscode.window.showInformationMessage(`infill: ${text} | restarts ${restarts}`);
}

// ------------------------------------------------------------------ activation

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const properties = context.extension.packageJSON?.contributes?.configuration?.properties ?? {};
  settingKeys = Object.keys(properties).map((key) => key.slice(SECTION.length + 1));
  output = vscode.window.createOutputChannel("infill", { log: true });
  statusItem = vscode.window.createStatusBarItem(vscode.StatusBarAlignment.Right, 100);
  statusItem.command = "infill.editor.showStatus";
  context.subscriptions.push(
    output,
    statusItem,
    vscode.commands.registerCommand("infill.editor.rewriteSelection", rewriteSelection),
    vscode.commands.registerCommand("infill.editor.showStatus", showStatusMessage),
    vscode.commands.registerCommand("infill.editor.restart", restartClient),
    new NextEditController(() => client, (document) =>
      vscode.languages.match(selector(), document) > 0 && !blocked(document)),
    vscode.languages.onDidChangeDiagnostics((event) => event.uris.forEach(forwardDiagnostics)),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration("infill.server") || event.affectsConfiguration("infill.languages")) {
        void restartClient();
      } else if (event.affectsConfiguration(SECTION) && client?.isRunning()) {
        void client.sendNotification("workspace/didChangeConfiguration", {
          settings: { [SECTION]: serverSettings(explicitSettings()) },
        });
      }
    }),
  );
  await startClient();
}

export async function deactivate(): Promise<void> {
  const old = client;
  client = undefined;
  if (old) {
    await old.stop();
  }
}
