/**
 * The real `infill-lsp`, driven over stdio with vscode-languageserver-protocol the way the
 * extension drives it: its capabilities and settings (../protocol), inline completion, the
 * rewrite code action with resolve, the status command and forwarded diagnostics.
 *
 * VS Code itself cannot run here, so this is the extension's conversation minus the editor.
 * Environment: INFILL_LSP (default ../../.venv/bin/infill-lsp from editors/vscode) and
 * INFILL_TEST_MODEL (a model folder; default: the server's embedded model).
 */
import { ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { after, before, test } from "node:test";
import {
  ExecuteCommandRequest,
  InitializeRequest,
  InitializeResult,
  InitializedNotification,
  InlineCompletionList,
  InlineCompletionItem,
  InlineCompletionRequest,
  InlineCompletionTriggerKind,
  ProtocolConnection,
  StreamMessageReader,
  StreamMessageWriter,
  createProtocolConnection,
} from "vscode-languageserver-protocol/node";
import {
  DiagnosticsNotification,
  EXTENSION_CAPABILITIES,
  LANGUAGES,
  STATUS_COMMAND,
  ServerStatus,
  documentSelector,
  nextEditPreview,
  requestNextEdit,
  requestRewrite,
  serverSettings,
  tooLarge,
} from "../protocol";

const PACKAGE = path.resolve(__dirname, "..", "..");
const SERVER = process.env.INFILL_LSP || path.resolve(PACKAGE, "..", "..", ".venv", "bin", "infill-lsp");
const MODEL = process.env.INFILL_TEST_MODEL;
const URI = "file:///tmp/infill-vscode-test/sample.py";
const CODE = "def add(a, b):\n    return print(a)\n\n\nclass Stack:\n    def push(self, item):\n        self.items.append(item)\n";
const STEP = { timeout: 60_000 };

let server: ChildProcessWithoutNullStreams;
let connection: ProtocolConnection;
let init: InitializeResult;
let stderr = "";
const messages: { type: number; message: string }[] = [];
const progress: string[] = [];

/** What a user would put in settings.json: only the keys they set (plus one client-only key). */
function userSettings(): Record<string, unknown> {
  // checks off: the random tiny model writes what they reject, and this tests the protocol path
  const fast = { canvas: 8, maxBlocks: 1, candidates: 2, threads: 1, checks: false, minConfidence: 0, "server.maxRestarts": 3 };
  return MODEL ? { ...fast, model: MODEL } : fast;
}

async function until(what: string, done: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}; server stderr: ${stderr.slice(-2000)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

before(async () => {
  assert.ok(fs.existsSync(SERVER), `no server at ${SERVER}: set INFILL_LSP`);
  // started as vscode-languageclient starts it with TransportKind.stdio: with --stdio appended
  server = spawn(SERVER, ["--stdio"], { stdio: "pipe" });
  server.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  connection = createProtocolConnection(new StreamMessageReader(server.stdout), new StreamMessageWriter(server.stdin));
  // the requests the server sends, answered as vscode-languageclient answers them
  connection.onRequest("workspace/configuration", (params: { items: { section?: string }[] }) =>
    params.items.map((item) => (item.section === "infill" ? serverSettings(userSettings()) : null)));
  connection.onRequest("window/workDoneProgress/create", () => null);
  connection.onRequest("client/registerCapability", () => null);
  connection.onRequest("workspace/applyEdit", () => ({ applied: true }));
  connection.onNotification("window/showMessage", (params: { type: number; message: string }) => {
    messages.push(params);
  });
  connection.onNotification("window/logMessage", () => undefined);
  connection.onNotification("$/progress", (params: { value: { kind: string } }) => {
    progress.push(params.value.kind);
  });
  connection.listen();
  init = await connection.sendRequest(InitializeRequest.type, {
    processId: process.pid,
    rootUri: null,
    workspaceFolders: null,
    capabilities: EXTENSION_CAPABILITIES,
    initializationOptions: serverSettings(userSettings()),
    clientInfo: { name: "infill-vscode-test" },
  });
  await connection.sendNotification(InitializedNotification.type, {});
  await until("the model to load", () => progress.includes("end"));
  await connection.sendNotification("textDocument/didOpen", {
    textDocument: { uri: URI, languageId: "python", version: 1, text: CODE },
  });
});

after(async () => {
  if (connection) {
    await connection.sendRequest("shutdown").catch(() => undefined);
    await connection.sendNotification("exit").catch(() => undefined);
    connection.dispose();
  }
  if (server && server.exitCode === null) {
    await new Promise((resolve) => {
      const timer = setTimeout(() => { server.kill("SIGKILL"); resolve(null); }, 5_000);
      server.on("exit", () => { clearTimeout(timer); resolve(null); });
    });
  }
});

test("the server advertises what the extension uses", STEP, () => {
  const caps = init.capabilities;
  assert.ok(caps.inlineCompletionProvider, "inline completion");
  assert.ok(caps.completionProvider, "completion fallback");
  assert.equal(typeof caps.codeActionProvider, "object");
  assert.equal((caps.codeActionProvider as { resolveProvider?: boolean }).resolveProvider, true);
  assert.ok(caps.executeCommandProvider?.commands.includes(STATUS_COMMAND));
  assert.deepEqual(messages.filter((m) => m.type === 1), [], "no error messages (settings are valid)");
});

test("inline completion returns items with a range", STEP, async () => {
  const column = CODE.split("\n")[1].indexOf("a)");
  const result = (await connection.sendRequest(InlineCompletionRequest.type, {
    textDocument: { uri: URI },
    position: { line: 1, character: column },
    context: { triggerKind: InlineCompletionTriggerKind.Invoked },
  })) as InlineCompletionList | InlineCompletionItem[] | null;
  assert.ok(result, "a result");
  const items = Array.isArray(result) ? result : result.items;
  assert.ok(items.length >= 1);
  for (const item of items) {
    assert.equal(typeof item.insertText, "string");
    assert.deepEqual(item.range?.start, { line: 1, character: column });
  }
});

test("rewrite selection: code action, resolved to an edit of the selection", STEP, async () => {
  const range = { start: { line: 6, character: 8 }, end: { line: 6, character: 31 } };
  const edit = await requestRewrite((method, params) => connection.sendRequest(method, params), URI, range);
  assert.ok(edit?.documentChanges, "an edit with documentChanges");
  const change = edit.documentChanges[0] as { textDocument: { uri: string; version: number }; edits: { range: unknown; newText: string }[] };
  assert.equal(change.textDocument.uri, URI);
  assert.equal(change.textDocument.version, 1);
  assert.deepEqual(change.edits[0].range, range);
  assert.ok(change.edits[0].newText.length > 0);
  // VS Code's refactor preview: the edit is annotated as needing confirmation.
  const annotationId = (change.edits[0] as { annotationId?: string }).annotationId;
  assert.ok(annotationId, "the edit carries a change annotation");
  assert.equal(edit.changeAnnotations?.[annotationId]?.needsConfirmation, true);
});

test("status reports the backend and the last latency", STEP, async () => {
  const status = (await connection.sendRequest(ExecuteCommandRequest.type, { command: STATUS_COMMAND, arguments: [] })) as ServerStatus;
  assert.equal(status.backend, "embedded");
  assert.equal(status.loaded, true);
  assert.equal(typeof status.last_latency_ms, "number");
  if (MODEL) {
    assert.equal(status.model, MODEL);
  }
});

test("forwarded diagnostics are accepted and the server keeps serving", STEP, async () => {
  await connection.sendNotification(DiagnosticsNotification, {
    uri: URI,
    diagnostics: [{ range: { start: { line: 1, character: 11 }, end: { line: 1, character: 16 } }, severity: 1,
                    message: "\"print\" returns None", source: "test" }],
  });
  const status = await connection.sendRequest(ExecuteCommandRequest.type, { command: STATUS_COMMAND, arguments: [] });
  assert.ok(status);
  assert.equal(server.exitCode, null);
});

test("a document of every language the extension attaches to is completed", STEP, async () => {
  // The tiny test model's card names no language, as a served model's does: every language is served.
  const sources: Record<string, [string, number, number]> = {
    typescript: ["function add(a: number, b: number): number {\n  return \n}\n", 1, 9],
    go: ["package calc\n\nfunc Add(a int, b int) int {\n\treturn \n}\n", 3, 8],
    shellscript: ["add() {\n  echo \n}\n", 1, 7],
  };
  for (const [languageId, [text, line, character]] of Object.entries(sources)) {
    const uri = `file:///tmp/infill-vscode-test/sample-${languageId}`;
    await connection.sendNotification("textDocument/didOpen", { textDocument: { uri, languageId, version: 1, text } });
    const result = (await connection.sendRequest(InlineCompletionRequest.type, {
      textDocument: { uri },
      position: { line, character },
      context: { triggerKind: InlineCompletionTriggerKind.Invoked },
    })) as InlineCompletionList | InlineCompletionItem[] | null;
    assert.ok(result, `a result for ${languageId}`);
    assert.ok((Array.isArray(result) ? result : result.items).length >= 1, `items for ${languageId}`);
  }
  assert.deepEqual(messages.filter((m) => m.type === 1), [], "no error messages");
});

test("next edit: a rename's next use, for the current version only", STEP, async () => {
  const uri = "file:///tmp/infill-vscode-test/next.py";
  const code = "def area(w, h):\n    return w * h\n\n\ntotal = area(2, 3)\n";
  const send = (method: string, params: unknown) => connection.sendRequest(method, params);
  await connection.sendNotification("textDocument/didOpen", { textDocument: { uri, languageId: "python", version: 1, text: code } });
  await connection.sendNotification("textDocument/didChange", {
    textDocument: { uri, version: 2 },
    contentChanges: [{ range: { start: { line: 0, character: 4 }, end: { line: 0, character: 8 } }, text: "surface" }],
  });
  const edit = await requestNextEdit(send, uri, 2, { line: 0, character: 11 });
  assert.ok(edit, "a next edit");
  assert.deepEqual(edit.range, { start: { line: 4, character: 0 }, end: { line: 5, character: 0 } });
  assert.equal(edit.text, "total = surface(2, 3)\n");
  assert.deepEqual(nextEditPreview(edit), { first: 4, last: 5, added: ["total = surface(2, 3)"] });
  assert.equal(edit.command?.command, "infill.nextEditAccepted");
  assert.equal(await requestNextEdit(send, uri, 1, { line: 0, character: 0 }), null, "never for an older version");
});

test("client-side guards: settings filter and size limit", () => {
  assert.deepEqual(serverSettings({ model: "m", "server.path": "/x", forwardDiagnostics: false, trace: { server: "off" },
                                    languages: ["go"] }),
                   { model: "m" });
  assert.ok(LANGUAGES.includes("typescriptreact") && LANGUAGES.includes("shellscript") && LANGUAGES.length === 15);
  assert.deepEqual(documentSelector(["go"]), [{ language: "go", scheme: "file" }, { language: "go", scheme: "untitled" }]);
  assert.equal(tooLarge("x".repeat(11), 10), true);
  assert.equal(tooLarge("é".repeat(6), 10), true); // 12 bytes
  assert.equal(tooLarge("x".repeat(10), 10), false);
});
