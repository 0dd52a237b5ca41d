// `.hlsl` files in the file editor: markers from the server compiler while typing, and on save the new
// shader swapped into the effects made from the file in every open notebook's kernel. (Highlighting comes
// from the language registry, which picks HLSL by the file's extension.)

import { Notification } from '@jupyterlab/apputils';
import { CodeMirrorEditor } from '@jupyterlab/codemirror';
import { PageConfig, PathExt } from '@jupyterlab/coreutils';
import { IDocumentWidget } from '@jupyterlab/docregistry';
import { FileEditor, IEditorTracker } from '@jupyterlab/fileeditor';
import { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';

import { reloadFileInKernels } from './kernelShaders';
import { clearMarkers, LiveCompile } from './markers';

// `.hlsli` and `.fxh` are include files: not compilable on their own, so only highlighted.
const COMPILABLE = /\.(hlsl|fx)$/i;

async function swapIntoKernels(path: string, notebooks: INotebookTracker): Promise<void> {
  const panels: NotebookPanel[] = [];
  notebooks.forEach(panel => panels.push(panel));
  // The kernels see the file by its absolute path (PathExt.join would drop the root's leading '/'); the
  // server root may start with ~, which the kernel expands.
  const absolute = `${PageConfig.getOption('serverRoot').replace(/\/+$/, '')}/${path}`;
  const file = PathExt.basename(path);
  for (const answer of await reloadFileInKernels(panels, absolute)) {
    if (answer.error) {
      Notification.error(`${file} was saved but did not compile, so ${answer.notebook} keeps running the last good shader: ${answer.error}`, { autoClose: 8000 });
    } else {
      Notification.success(`${file}: swapped into ${answer.effects.join(', ')} (${answer.notebook})`, { autoClose: 4000 });
    }
  }
}

function watchFile(widget: IDocumentWidget<FileEditor>, notebooks: INotebookTracker): void {
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
  widget.context.saveState.connect((_, state) => {
    if (state === "completed" && COMPILABLE.test(widget.context.path)) {
      void swapIntoKernels(widget.context.path, notebooks);
    }
  });
  widget.disposed.connect(() => live.dispose());
}

export function trackFileEditors(tracker: IEditorTracker, notebooks: INotebookTracker): void {
  tracker.forEach(widget => watchFile(widget, notebooks));
  tracker.widgetAdded.connect((_, widget) => watchFile(widget, notebooks));
}
