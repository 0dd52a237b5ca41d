// `%%hlsl` and `%%glsl` cells in notebooks: HLSL (or GLSL) highlighting while the first line is the magic,
// markers from the last run's output, and markers refreshed from the server while the user types.

import { Cell, ICodeCellModel } from '@jupyterlab/cells';
import { CodeMirrorEditor, IEditorLanguageRegistry } from '@jupyterlab/codemirror';
import { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { language } from '@codemirror/language';
import { EditorView } from '@codemirror/view';

import { CompilePayload, PAYLOAD_MIME } from './diagnostics';
import { GLSL_MIME, glslLanguage } from './glsl';
import { parseHlslCell } from './hlslCell';
import { HLSL_MIME, hlslLanguage } from './hlsl';
import { clearMarkers, LiveCompile, showMarkers } from './markers';

function editorView(cell: Cell | undefined): EditorView | null {
  const editor = cell?.editor;
  return editor instanceof CodeMirrorEditor ? editor.editor : null;
}

function lastPayload(model: ICodeCellModel): CompilePayload | null {
  for (let i = model.outputs.length - 1; i >= 0; i--) {
    const data = model.outputs.get(i).data[PAYLOAD_MIME];
    if (data) {
      return data as unknown as CompilePayload;
    }
  }
  return null;
}

/** The editor mime type of a shader cell's text, or null when it is not one. */
function shaderMime(text: string): string | null {
  const cell = parseHlslCell(text);
  return cell === null ? null : cell.language === 'glsl' ? GLSL_MIME : HLSL_MIME;
}

class HlslCellWatcher {
  private readonly live: LiveCompile;
  /** The mime type the cell's magic asks for (HLSL or GLSL), null while it is not a shader cell. */
  private shader: string | null = null;

  constructor(
    private readonly panel: NotebookPanel,
    private readonly model: ICodeCellModel,
    private readonly languages: IEditorLanguageRegistry
  ) {
    this.live = new LiveCompile(
      () => {
        const text = model.sharedModel.getSource();
        const cell = parseHlslCell(text);
        if (cell === null) {
          return null;
        }
        const { name, stage, entry, backend, source, language } = cell;
        return { compile: { source, name, stage, entry, backend, language }, firstLine: cell.firstLine, text };
      },
      () => editorView(this.cell()),
      () => model.sharedModel.getSource()
    );
    model.contentChanged.connect(this.onContentChanged, this);
    model.mimeTypeChanged.connect(this.applyMimeType, this);
    model.outputs.changed.connect(() => void this.onOutputs());
    model.sharedModel.disposed.connect(() => this.dispose());
    this.onContentChanged();
    if (this.shader !== null) {
      void this.onOutputs();
    }
  }

  dispose(): void {
    this.live.dispose();
  }

  private cell(): Cell | undefined {
    return this.panel.content.widgets.find(widget => widget.model === this.model);
  }

  private onContentChanged(): void {
    const wanted = shaderMime(this.model.sharedModel.getSource());
    if (wanted !== this.shader) {
      this.shader = wanted;
      this.applyMimeType();
      const view = editorView(this.cell());
      if (wanted === null && view) {
        clearMarkers(view);
      }
    }
    if (wanted !== null) {
      this.live.schedule();
    }
  }

  // The notebook resets every cell to the kernel's language when that changes; a shader cell keeps its own.
  private applyMimeType(): void {
    const wanted = this.shader ?? this.panel.content.codeMimetype;
    const overridden = this.model.mimeType;
    if (overridden !== wanted) {
      this.model.mimeType = wanted;
      if (this.shader !== null) {
        void this.settleLanguage(overridden);
      }
    }
  }

  // The editor loads each mime type's language asynchronously and applies whichever load finishes last:
  // a first-time (lazy) load of the language we just replaced can land after the shader's. Once that load
  // is done, switching back and forth again resolves in order, so the shader's language stays.
  private async settleLanguage(overridden: string): Promise<void> {
    try {
      await this.languages.getLanguage(overridden);
    } catch {
      return;
    }
    await new Promise(resolve => setTimeout(resolve, 0));
    const view = editorView(this.cell());
    const expected = this.shader === GLSL_MIME ? glslLanguage : hlslLanguage;
    if (view && this.shader !== null && this.model.mimeType === this.shader && view.state.facet(language) !== expected) {
      this.model.mimeType = overridden; // applyMimeType puts the shader's language straight back
    }
  }

  private async onOutputs(): Promise<void> {
    const payload = lastPayload(this.model);
    const cell = this.cell();
    if (payload === null || cell === undefined || this.shader === null) {
      return;
    }
    await cell.ready;
    const view = editorView(cell);
    if (view) {
      showMarkers(view, payload, 2);
    }
  }
}

// Clicking a diagnostic in a %%hlsl error card puts the cell's cursor on it (the card's data-* attributes).
function jumpToDiagnostic(panel: NotebookPanel, event: MouseEvent): void {
  const target = (event.target as HTMLElement).closest<HTMLElement>('.streamlib-diagnostic[data-in-source="true"]');
  const line = Number(target?.dataset.line);
  if (!target || !line) {
    return;
  }
  const cell = panel.content.widgets.find(widget => widget.node.contains(target));
  if (!cell?.editor || parseHlslCell(cell.model.sharedModel.getSource()) === null) {
    return;
  }
  // The shader's line L is the cell's line L + 1 (after the magic): 0-based, that is L.
  cell.editor.setCursorPosition({ line, column: Math.max(Number(target.dataset.column) - 1, 0) });
  cell.editor.focus();
}

function watchNotebook(panel: NotebookPanel, languages: IEditorLanguageRegistry): void {
  panel.content.node.addEventListener('click', event => jumpToDiagnostic(panel, event));
  const watchers = new Map<string, HlslCellWatcher>();
  const watch = (model: { type: string; id: string }): void => {
    if (model.type === 'code' && !watchers.has(model.id)) {
      watchers.set(model.id, new HlslCellWatcher(panel, model as ICodeCellModel, languages));
    }
  };
  void panel.context.ready.then(() => {
    const cells = panel.content.model?.cells;
    if (!cells) {
      return;
    }
    for (let i = 0; i < cells.length; i++) {
      watch(cells.get(i));
    }
    cells.changed.connect((_, change) => {
      change.newValues.forEach(watch);
      for (const removed of change.oldValues) {
        watchers.get(removed.id)?.dispose();
        watchers.delete(removed.id);
      }
    });
  });
  panel.disposed.connect(() => watchers.forEach(watcher => watcher.dispose()));
}

export function trackNotebooks(tracker: INotebookTracker, languages: IEditorLanguageRegistry): void {
  tracker.forEach(panel => watchNotebook(panel, languages));
  tracker.widgetAdded.connect((_, panel) => watchNotebook(panel, languages));
}
