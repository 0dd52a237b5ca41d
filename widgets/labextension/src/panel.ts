// The "Shaders" side panel: the HLSL library on disk (from the server) and the shaders registered in the
// current notebook's kernel, each with "Insert as %%hlsl cell" and "Open".

import { JupyterFrontEnd } from '@jupyterlab/application';
import { MainAreaWidget } from '@jupyterlab/apputils';
import { CodeEditor, CodeEditorWrapper, IEditorServices } from '@jupyterlab/codeeditor';
import { INotebookTracker, NotebookActions, NotebookPanel } from '@jupyterlab/notebook';
import { LabIcon } from '@jupyterlab/ui-components';
import { Message } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';

import { HLSL_MIME } from './hlsl';
import { hlslCellSource } from './hlslCell';
import { KernelListing, kernelShaders } from './kernelShaders';
import { LibraryShader, requestLibrary } from './server';

export const shaderIcon = new LabIcon({
  name: 'streamlib:shader',
  svgstr:
    '<svg xmlns="http://www.w3.org/2000/svg" width="16" viewBox="0 0 24 24"><g class="jp-icon3" fill="#616161">' +
    '<path d="M12 2 3 7v10l9 5 9-5V7l-9-5zm0 2.3 6.6 3.7L12 11.7 5.4 8 12 4.3zM5 9.7l6 3.4v6.6l-6-3.4V9.7zm8 ' +
    '10V13l6-3.4v6.6l-6 3.3z"/></g></svg>'
});

function element<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className: string,
  text?: string
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  node.className = className;
  if (text !== undefined) {
    node.textContent = text;
  }
  return node;
}

export class ShadersPanel extends Widget {
  private readonly libraryList = element('ul', 'jp-streamlib-list');
  private readonly libraryNote = element('p', 'jp-streamlib-note');
  private readonly kernelList = element('ul', 'jp-streamlib-list');
  private readonly kernelNote = element('p', 'jp-streamlib-note');
  private kernelState: KernelListing['state'] = 'no-notebook';
  private kernelGeneration = 0;

  constructor(
    private readonly app: JupyterFrontEnd,
    private readonly notebooks: INotebookTracker,
    private readonly editors: IEditorServices | null
  ) {
    super();
    this.id = 'streamlib-shaders';
    this.addClass('jp-streamlib-shaders');
    this.title.icon = shaderIcon;
    this.title.caption = 'Shaders';

    const header = element('div', 'jp-streamlib-header');
    header.append(element('h2', 'jp-streamlib-title', 'Shaders'));
    const refresh = element('button', 'jp-streamlib-refresh jp-Button', 'Refresh');
    refresh.onclick = () => void this.refresh();
    header.append(refresh);
    // The kernel's shaders first: a short list of what the user is working on, above the whole library.
    this.node.append(
      header,
      element('h3', 'jp-streamlib-section', 'In the kernel'),
      this.kernelNote,
      this.kernelList,
      element('h3', 'jp-streamlib-section', 'Library'),
      this.libraryNote,
      this.libraryList
    );
    this.libraryList.dataset.section = 'library';
    this.kernelList.dataset.section = 'kernel';

    notebooks.currentChanged.connect(() => void this.refreshKernel());
    NotebookActions.executed.connect(() => void this.refreshKernel());
  }

  async refresh(): Promise<void> {
    await Promise.all([this.refreshLibrary(), this.refreshKernel()]);
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    void this.refresh();
  }

  private async refreshLibrary(): Promise<void> {
    let shaders: LibraryShader[];
    try {
      shaders = await requestLibrary();
    } catch (err) {
      this.libraryNote.textContent = `The library is unavailable: the streamlib server extension did not answer (${String(err)}).`;
      this.libraryList.replaceChildren();
      return;
    }
    this.libraryNote.textContent = shaders.length ? '' : 'No .hlsl files in the library directories.';
    this.libraryList.replaceChildren(
      ...shaders.map(shader => this.item(shader.name, shader.stage, shader.summary, shader.source, shader))
    );
  }

  private async refreshKernel(): Promise<void> {
    if (!this.isVisible) {
      return;
    }
    // Refreshes overlap (a cell runs while the panel is asked): only the latest one's answer is shown.
    const generation = ++this.kernelGeneration;
    let listing: KernelListing;
    try {
      listing = await kernelShaders(this.notebooks.currentWidget);
    } catch (err) {
      listing = { state: 'error', message: String(err) };
    }
    if (generation !== this.kernelGeneration) {
      return;
    }
    this.kernelState = listing.state;
    const notes: Record<KernelListing['state'], string> = {
      'no-notebook': 'Open a notebook to see the shaders its kernel has registered.',
      'no-kernel': 'No kernel is running for this notebook: start one to see its shaders.',
      'no-streamlib': 'This kernel has not imported streamlib yet.',
      error: listing.state === 'error' ? `The kernel could not list its shaders: ${listing.message}` : '',
      ok: listing.state === 'ok' && listing.shaders.length === 0 ? 'No shaders yet: run a %%hlsl NAME cell.' : ''
    };
    this.kernelNote.textContent = notes[listing.state];
    this.kernelList.replaceChildren(
      ...(listing.state === 'ok'
        ? listing.shaders.map(shader =>
            this.item(shader.name, shader.stage, shader.parameters.join(', '), shader.source, null)
          )
        : [])
    );
  }

  private item(
    name: string,
    stage: string,
    summary: string,
    source: string,
    file: LibraryShader | null
  ): HTMLElement {
    const item = element('li', 'jp-streamlib-item');
    item.dataset.name = name;
    const title = element('div', 'jp-streamlib-item-title');
    title.append(element('span', 'jp-streamlib-name', name), element('span', 'jp-streamlib-stage', stage));
    item.append(title);
    if (summary) {
      const text = element('div', 'jp-streamlib-summary', summary);
      text.title = summary; // clamped to two lines; the whole of it on hover
      item.append(text);
    }
    const actions = element('div', 'jp-streamlib-actions');
    const insert = element('button', 'jp-streamlib-insert jp-Button', 'Insert as %%hlsl cell');
    insert.onclick = () => this.insert(name, source);
    actions.append(insert);
    if (file) {
      const open = element('button', 'jp-streamlib-open jp-Button', 'Open file');
      open.onclick = () => void this.open(file);
      actions.append(open);
    }
    item.append(actions);
    return item;
  }

  private insert(name: string, source: string): void {
    const panel: NotebookPanel | null = this.notebooks.currentWidget;
    if (panel === null) {
      this.kernelNote.textContent = 'Open a notebook first: the effect is inserted below its active cell.';
      return;
    }
    const notebook = panel.content;
    // %%hlsl exists once streamlib is imported; without that the inserted cell would not run.
    if (this.kernelState !== 'ok') {
      NotebookActions.insertBelow(notebook);
      notebook.activeCell?.model.sharedModel.setSource('import streamlib');
    }
    NotebookActions.insertBelow(notebook);
    notebook.activeCell?.model.sharedModel.setSource(hlslCellSource(name, source));
    this.app.shell.activateById(panel.id);
  }

  private async open(shader: LibraryShader): Promise<void> {
    if (shader.path !== null) {
      await this.app.commands.execute('docmanager:open', { path: shader.path, factory: 'Editor' });
      return;
    }
    if (this.editors === null) {
      return;
    }
    // Outside the server's root the file cannot be opened as a document: show it read-only.
    const model = new CodeEditor.Model({ mimeType: HLSL_MIME });
    model.sharedModel.setSource(shader.source);
    const content = new CodeEditorWrapper({
      factory: this.editors.factoryService.newDocumentEditor,
      model,
      editorOptions: { config: { readOnly: true } }
    });
    const widget = new MainAreaWidget({ content });
    widget.addClass('jp-streamlib-readonly');
    widget.title.label = `${shader.name}.hlsl (read-only)`;
    widget.title.caption = shader.file;
    widget.title.icon = shaderIcon;
    this.app.shell.add(widget, 'main');
  }
}
