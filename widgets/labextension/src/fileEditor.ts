// `.hlsl` files in the file editor: markers from the server compiler while typing. (Highlighting comes
// from the language registry, which picks HLSL by the file's extension.)

import { CodeMirrorEditor } from '@jupyterlab/codemirror';
import { IDocumentWidget } from '@jupyterlab/docregistry';
import { FileEditor, IEditorTracker } from '@jupyterlab/fileeditor';

import { clearMarkers, LiveCompile } from './markers';

// `.hlsli` and `.fxh` are include files: not compilable on their own, so only highlighted.
const COMPILABLE = /\.(hlsl|fx)$/i;

function watchFile(widget: IDocumentWidget<FileEditor>): void {
  const model = widget.content.model;
  const view = () => {
    const editor = widget.content.editor;
    return editor instanceof CodeMirrorEditor ? editor.editor : null;
  };
  const live = new LiveCompile(
    () => {
      const path = widget.context.path;
      if (!COMPILABLE.test(path)) {
        return null;
      }
      const text = model.sharedModel.getSource();
      const name = path.split('/').pop() ?? path;
      return { compile: { source: text, name, path }, firstLine: 1, text };
    },
    view,
    () => model.sharedModel.getSource()
  );
  model.sharedModel.changed.connect(() => live.schedule());
  widget.context.pathChanged.connect(() => {
    const current = view();
    if (current && !COMPILABLE.test(widget.context.path)) {
      clearMarkers(current);
    }
    live.schedule(0);
  });
  void widget.context.ready.then(() => live.schedule(0));
  widget.disposed.connect(() => live.dispose());
}

export function trackFileEditors(tracker: IEditorTracker): void {
  tracker.forEach(watchFile);
  tracker.widgetAdded.connect((_, widget) => watchFile(widget));
}
