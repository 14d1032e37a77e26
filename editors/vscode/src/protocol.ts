/**
 * What the extension says to `infill-lsp`, with no dependency on the `vscode` module, so that
 * the Node test (src/test/protocol.test.ts) drives the real server with exactly these
 * capabilities, settings and requests.
 *
 * It knows the LSP messages and the server's own names (commands, the `infill/diagnostics`
 * notification, setting keys); it knows nothing about editors or models.
 */
import {
  ClientCapabilities,
  CodeAction,
  Command,
  CodeActionKind,
  CodeActionParams,
  CodeActionRequest,
  CodeActionResolveRequest,
  CodeActionTriggerKind,
  Diagnostic,
  NotificationType,
  Range,
  WorkspaceEdit,
} from "vscode-languageserver-protocol";

export const STATUS_COMMAND = "infill.status";
export const REWRITE_COMMAND = "infill.rewriteSelection"; // the server's; the editor command has its own id

/** `{uri, diagnostics}`: the diagnostics the editor shows for a document, forwarded to the server. */
export interface DiagnosticsParams {
  uri: string;
  diagnostics: Diagnostic[];
}
export const DiagnosticsNotification = new NotificationType<DiagnosticsParams>("infill/diagnostics");

/** The answer of `workspace/executeCommand` `infill.status`. */
export interface ServerStatus {
  model: string | null;
  backend: string | null;
  loaded: boolean;
  last_latency_ms: number | null;
  busy: boolean;
}

/**
 * The capabilities the extension relies on. vscode-languageclient fills these itself; the
 * extension also merges this object into what it sends, so the test and the extension cannot
 * drift apart.
 *
 * Inline completion needs vscode-languageclient >= 10 (LSP 3.18): version 9 has it only as a
 * proposed feature that numbers InlineCompletionTriggerKind from 0 (Invoked = 0), which a 3.18
 * server (Invoked = 1, Automatic = 2) rejects as Invalid Params.
 */
export const EXTENSION_CAPABILITIES: ClientCapabilities = {
  textDocument: {
    synchronization: { dynamicRegistration: true, didSave: true },
    inlineCompletion: { dynamicRegistration: true },
    completion: { completionItem: { snippetSupport: true } },
    codeAction: {
      codeActionLiteralSupport: { codeActionKind: { valueSet: [CodeActionKind.RefactorRewrite] } },
      resolveSupport: { properties: ["edit"] },
      dataSupport: true,
    },
  },
  // changeAnnotationSupport: the server marks a rewrite "needs confirmation", and VS Code then
  // shows it in the refactor preview before anything changes.
  workspace: {
    configuration: true,
    applyEdit: true,
    workspaceEdit: { documentChanges: true, changeAnnotationSupport: { groupsOnLabel: true } },
  },
  window: { workDoneProgress: true },
};

/** Settings of the `infill` section that only the client reads; the rest goes to the server. */
const CLIENT_ONLY = ["server", "trace", "forwardDiagnostics", "languages"];

/** The VS Code language ids `infill-lsp` completes (the default of `infill.languages`). */
export const LANGUAGES = ["python", "javascript", "javascriptreact", "typescript", "typescriptreact", "go", "rust", "java",
  "c", "cpp", "csharp", "ruby", "php", "lua", "shellscript"];

/** The document selector for a list of language ids: files and unsaved documents of each. */
export function documentSelector(languages: readonly string[]): { language: string; scheme: string }[] {
  return languages.flatMap((language) => [{ language, scheme: "file" }, { language, scheme: "untitled" }]);
}

/**
 * The server's settings out of the `infill` section: the keys the user set (so the server's
 * own defaults apply to the rest), without the client-only ones.
 */
export function serverSettings(section: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(section)) {
    if (value !== undefined && !CLIENT_ONLY.includes(key.split(".")[0])) {
      out[key] = value;
    }
  }
  return out;
}

/** True when a document is over the size limit: then the client sends no requests for it. */
export function tooLarge(text: string, maxBytes: number): boolean {
  return text.length > maxBytes || (4 * text.length > maxBytes && Buffer.byteLength(text, "utf8") > maxBytes);
}

/** A client's or a connection's `sendRequest(method, params)`. */
export type Send = (method: string, params: unknown) => Promise<unknown>;

/**
 * "Rewrite selection": the server's rewrite code action for the range, resolved to its edit
 * (null when the server offers none).
 */
export async function requestRewrite(send: Send, uri: string, range: Range): Promise<WorkspaceEdit | null> {
  const params: CodeActionParams = {
    textDocument: { uri },
    range,
    context: { diagnostics: [], only: [CodeActionKind.RefactorRewrite], triggerKind: CodeActionTriggerKind.Invoked },
  };
  const actions = (await send(CodeActionRequest.method, params)) as (CodeAction | Command)[] | null;
  // not CodeAction.is: that wants an edit or a command, and this action is resolved lazily
  const action = (actions ?? []).find((a): a is CodeAction => "kind" in a && a.kind === CodeActionKind.RefactorRewrite);
  if (!action) {
    return null;
  }
  if (action.edit) {
    return action.edit;
  }
  const resolved = (await send(CodeActionResolveRequest.method, action)) as CodeAction;
  return resolved.edit ?? null;
}

/** One line for a status bar tooltip or message. */
export function describeStatus(status: ServerStatus): string {
  const latency = typeof status.last_latency_ms === "number" ? `${Math.round(status.last_latency_ms)} ms` : "no request yet";
  const model = status.model ?? "embedded (default)";
  return `model ${model} | backend ${status.backend ?? "?"}${status.loaded ? "" : " (not loaded)"} | last latency ${latency}`;
}

/** `textDocument/copilotInlineEdit`: the next edit after the user's last one (Copilot's request shape). */
export const NEXT_EDIT_METHOD = "textDocument/copilotInlineEdit";

/** One edit of the answer: whole lines of the document version it names, replaced by `text`. */
export interface NextEdit {
  range: Range;
  text: string;
  textDocument: { uri: string; version: number | null };
  command?: Command;
}

/**
 * The server's next edit for a document at `version` (null: none, or one computed for another
 * version, which is never shown).
 */
export async function requestNextEdit(send: Send, uri: string, version: number,
                                      position: { line: number; character: number }): Promise<NextEdit | null> {
  const result = (await send(NEXT_EDIT_METHOD, { textDocument: { uri, version }, position })) as { edits?: NextEdit[] } | null;
  const edit = result?.edits?.[0];
  return edit && edit.textDocument?.uri === uri && edit.textDocument.version === version ? edit : null;
}

/** What an editor shows of a next edit: the lines it removes ([first, last), 0-based) and the lines it writes. */
export function nextEditPreview(edit: NextEdit): { first: number; last: number; added: string[] } {
  const first = edit.range.start.line;
  const last = Math.max(first, edit.range.end.character > 0 ? edit.range.end.line + 1 : edit.range.end.line);
  const text = edit.text.endsWith("\n") ? edit.text.slice(0, -1) : edit.text;
  return { first, last, added: text === "" ? [] : text.split("\n") };
}
