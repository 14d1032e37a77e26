/**
 * Next-edit suggestions in VS Code: after a change settles the extension asks the server
 * (`textDocument/copilotInlineEdit`, ./protocol) and shows the answer with decorations, the
 * means a stable VS Code gives an extension: the lines it removes get a "removed" background,
 * the text it writes is shown after them (its first line, and how many more), and an overview
 * ruler mark shows where it is when it is off screen. Tab (while `infill.nextEditShown`) jumps to
 * it, a second Tab applies it; Escape, a change elsewhere, another active editor or closing the
 * document dismisses it. An answer for an older document version is never shown.
 */
import * as vscode from "vscode";
import { LanguageClient } from "vscode-languageclient/node";
import { NextEdit, nextEditPreview, requestNextEdit } from "./protocol";

const CONTEXT_KEY = "infill.nextEditShown";
const DEBOUNCE_MS = 200;

interface Shown {
  editor: vscode.TextEditor;
  edit: NextEdit;
  version: number;
  jumped: boolean;
}

export class NextEditController implements vscode.Disposable {
  private shown: Shown | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly removed = vscode.window.createTextEditorDecorationType({
    isWholeLine: true,
    backgroundColor: new vscode.ThemeColor("diffEditor.removedLineBackground"),
    overviewRulerColor: new vscode.ThemeColor("editorOverviewRuler.modifiedForeground"),
    overviewRulerLane: vscode.OverviewRulerLane.Full,
  });
  private readonly added = vscode.window.createTextEditorDecorationType({
    after: { color: new vscode.ThemeColor("editorGhostText.foreground"), margin: "0 0 0 2em" },
  });
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly client: () => LanguageClient | undefined, private readonly served: (d: vscode.TextDocument) => boolean) {
    this.disposables.push(
      vscode.workspace.onDidChangeTextDocument((event) => this.changed(event)),
      // a suggestion belongs to its editor: shown elsewhere, Tab would move and edit a hidden one
      vscode.window.onDidChangeActiveTextEditor((editor) => {
        if (this.shown && editor !== this.shown.editor) {
          this.dismiss();
        }
      }),
      vscode.workspace.onDidCloseTextDocument((document) => {
        if (this.shown?.editor.document === document) {
          this.dismiss();
        }
      }),
      vscode.commands.registerCommand("infill.editor.acceptNextEdit", () => this.accept()),
      vscode.commands.registerCommand("infill.editor.dismissNextEdit", () => this.dismiss()),
    );
  }

  private changed(event: vscode.TextDocumentChangeEvent): void {
    const editor = vscode.window.activeTextEditor;
    if (!editor || editor.document !== event.document || event.contentChanges.length === 0) {
      return;
    }
    this.dismiss(); // typing into it: the server answers what is left of it
    if (this.timer) {
      clearTimeout(this.timer);
    }
    this.timer = setTimeout(() => void this.ask(editor), DEBOUNCE_MS);
  }

  private async ask(editor: vscode.TextEditor): Promise<void> {
    const running = this.client();
    const document = editor.document;
    if (!running?.isRunning() || !this.served(document)) {
      return;
    }
    const version = document.version;
    const position = { line: editor.selection.active.line, character: 0 };
    let edit: NextEdit | null = null;
    try {
      edit = await requestNextEdit((method, params) => running.sendRequest(method, params),
                                   document.uri.toString(), version, position);
    } catch {
      return;
    }
    if (edit && document.version === version && vscode.window.activeTextEditor === editor) {
      this.show(editor, edit, version);
    }
  }

  private show(editor: vscode.TextEditor, edit: NextEdit, version: number): void {
    const { first, last, added } = nextEditPreview(edit);
    const lines = editor.document.lineCount;
    const removed = [];
    for (let line = first; line < Math.min(last, lines); line++) {
      removed.push(new vscode.Range(line, 0, line, 0));
    }
    const at = Math.min(Math.max(last - 1, first), lines - 1);
    const more = added.length > 1 ? `  (+${added.length - 1} lines)` : "";
    const label = added.length ? `→ ${added[0].trim()}${more}  [Tab]` : "→ delete  [Tab]";
    editor.setDecorations(this.removed, removed.length ? removed : [new vscode.Range(at, 0, at, 0)]);
    editor.setDecorations(this.added, [{ range: editor.document.lineAt(at).range,
                                         renderOptions: { after: { contentText: label } } }]);
    this.shown = { editor, edit, version, jumped: false };
    void vscode.commands.executeCommand("setContext", CONTEXT_KEY, true);
  }

  dismiss(): void {
    if (this.shown) {
      this.shown.editor.setDecorations(this.removed, []);
      this.shown.editor.setDecorations(this.added, []);
      this.shown = undefined;
    }
    void vscode.commands.executeCommand("setContext", CONTEXT_KEY, false);
  }

  /** Tab: jump to the shown edit; when the cursor is there, apply it. */
  private async accept(): Promise<void> {
    const shown = this.shown;
    const running = this.client();
    if (!shown || !running || shown.editor.document.version !== shown.version || shown.editor.document.isClosed ||
        vscode.window.activeTextEditor !== shown.editor) {
      this.dismiss();
      return;
    }
    const { first } = nextEditPreview(shown.edit);
    const editor = shown.editor;
    if (!shown.jumped && editor.selection.active.line !== first) {
      shown.jumped = true;
      const at = new vscode.Position(first, editor.document.lineAt(Math.min(first, editor.document.lineCount - 1))
        .firstNonWhitespaceCharacterIndex);
      editor.selection = new vscode.Selection(at, at);
      editor.revealRange(new vscode.Range(at, at), vscode.TextEditorRevealType.InCenterIfOutsideViewport);
      return;
    }
    const range = running.protocol2CodeConverter.asRange(shown.edit.range);
    this.dismiss();
    const applied = await editor.edit((builder) => builder.replace(range, shown.edit.text));
    if (applied && shown.edit.command) {
      void running.sendRequest("workspace/executeCommand", {
        command: shown.edit.command.command, arguments: shown.edit.command.arguments ?? [] });
    }
  }

  dispose(): void {
    if (this.timer) {
      clearTimeout(this.timer);
    }
    this.dismiss();
    this.removed.dispose();
    this.added.dispose();
    this.disposables.forEach((d) => d.dispose());
  }
}
