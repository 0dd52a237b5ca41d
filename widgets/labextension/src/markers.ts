// Puts lint markers (underline, hover message, gutter mark) into a CodeMirror view, and keeps a view's
// markers current while its text changes: compiles on the server after a pause in typing.

import { Diagnostic, lintGutter, setDiagnostics } from '@codemirror/lint';
import { StateEffect } from '@codemirror/state';
import { EditorView } from '@codemirror/view';

import { CompilePayload, toMarkers } from './diagnostics';
import { CompileRequest, requestCompile, ServerError } from './server';

const hasGutter = new WeakSet<EditorView>();

export function showMarkers(view: EditorView, payload: CompilePayload, firstLine: number): void {
  const markers: Diagnostic[] = toMarkers(view.state.doc, payload.diagnostics, firstLine);
  if (!hasGutter.has(view)) {
    // Only HLSL editors get the gutter: it would be an empty column in every Python cell.
    hasGutter.add(view);
    view.dispatch({ effects: StateEffect.appendConfig.of(lintGutter()) });
  }
  view.dispatch(setDiagnostics(view.state, markers));
}

export function clearMarkers(view: EditorView): void {
  view.dispatch(setDiagnostics(view.state, []));
}

/** Compile-as-you-type, set from the settings (schema/diagnostics.json). */
export const liveSettings = { whileTyping: true, typingPauseMs: 400 };

let serverMissing = false;

/**
 * Compiles the text `request()` describes once typing pauses, then shows the result if the text is still
 * the one that was compiled. `request` returns null when the text is not a shader (any more).
 */
export class LiveCompile {
  private timer: ReturnType<typeof setTimeout> | null = null;
  private generation = 0;

  constructor(
    private readonly request: () => { compile: CompileRequest; firstLine: number; text: string } | null,
    private readonly view: () => EditorView | null,
    private readonly currentText: () => string
  ) {}

  schedule(delayMs = liveSettings.typingPauseMs): void {
    if (this.timer !== null) {
      clearTimeout(this.timer);
    }
    if (liveSettings.whileTyping) {
      this.timer = setTimeout(() => void this.run(), delayMs);
    }
  }

  dispose(): void {
    if (this.timer !== null) {
      clearTimeout(this.timer);
    }
    this.generation++;
  }

  private async run(): Promise<void> {
    this.timer = null;
    const generation = ++this.generation;
    const wanted = this.request();
    if (wanted === null || serverMissing) {
      return;
    }
    let payload: CompilePayload;
    try {
      payload = await requestCompile(wanted.compile);
    } catch (err) {
      if (err instanceof ServerError && err.status === 404) {
        serverMissing = true;
        console.warn('streamlib: the server extension is not enabled; no diagnostics while typing', err);
      }
      return;
    }
    const view = this.view();
    if (generation !== this.generation || view === null || this.currentText() !== wanted.text) {
      return;
    }
    showMarkers(view, payload, wanted.firstLine);
  }
}
