/**
 * Reports shown rendered and read-only: each report is a virtual Markdown document
 * (`container-lineage-report:` scheme, never a file, never "unsaved") opened in VS Code's
 * Markdown preview, and named by what it is about ("Transactions on busybox:latest 14:03:22.md",
 * "Layers of lineage-sample/child:1.0.md"). Also names the read-only inspect documents by tag.
 */
import * as vscode from 'vscode';

export const REPORT_SCHEME = 'container-lineage-report';

/** Reports kept for re-rendering (a preview re-reads its document when shown again). */
const MAX_REPORTS = 50;

/**
 * A file name for a tab: `/` in a name (`lineage-sample/child:1.0`) would make only the last
 * part the tab's name, so it becomes U+2215 (∕, looks the same); other path-unsafe characters
 * (`\`, control characters) become `_`.
 */
export function tabFileName(name: string): string {
  // eslint-disable-next-line no-control-regex
  return name.replace(/\//g, '\u2215').replace(/[\\\u0000-\u001f\u007f]/g, '_').slice(0, 120);
}

/** Content of a report: fixed text, or computed when the preview asks (e.g. from the current model). */
export type ReportContent = string | (() => Promise<string>);

class ReportDocuments implements vscode.TextDocumentContentProvider {
  private readonly contents = new Map<string, ReportContent>();
  private counter = 0;

  provideTextDocumentContent(uri: vscode.Uri): Promise<string> | string {
    const c = this.contents.get(uri.toString());
    if (c === undefined) return '# Report not available\n\nThis report was closed or the window was reloaded: run the command again.\n';
    return typeof c === 'string' ? c : c();
  }

  /** A new URI for a report named `name` (`.md` added). */
  add(name: string, content: ReportContent): vscode.Uri {
    const uri = vscode.Uri.from({ scheme: REPORT_SCHEME, path: `/${++this.counter}/${tabFileName(name)}.md` });
    this.contents.set(uri.toString(), content);
    for (const key of [...this.contents.keys()].slice(0, Math.max(0, this.contents.size - MAX_REPORTS))) this.contents.delete(key);
    return uri;
  }
}

let documents: ReportDocuments | undefined;

/** Register the report scheme (once per extension host; later calls reuse it). */
function provider(context: vscode.ExtensionContext): ReportDocuments {
  if (!documents) {
    const created = new ReportDocuments();
    documents = created;
    context.subscriptions.push(
      vscode.workspace.registerTextDocumentContentProvider(REPORT_SCHEME, created),
      new vscode.Disposable(() => {
        if (documents === created) documents = undefined;
      }),
    );
  }
  return documents;
}

/**
 * Show a Markdown report rendered (Markdown preview of a read-only virtual document).
 * @param name what the tab is called (without `.md`), e.g. "Layers of busybox:latest".
 * @returns the report's URI (its text: `vscode.workspace.openTextDocument(uri)`).
 */
export async function showReport(context: vscode.ExtensionContext, name: string, content: ReportContent): Promise<vscode.Uri> {
  const uri = provider(context).add(name, content);
  await vscode.commands.executeCommand('markdown.showPreview', uri);
  return uri;
}
