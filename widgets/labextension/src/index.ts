// streamlib's JupyterLab extension: HLSL highlighting for %%hlsl cells and .hlsl files, compile diagnostics
// as editor markers, HLSL completion, and the Shaders panel.

import { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { IEditorServices } from '@jupyterlab/codeeditor';
import { IEditorLanguageRegistry } from '@jupyterlab/codemirror';
import { ICompletionProviderManager } from '@jupyterlab/completer';
import { IEditorTracker } from '@jupyterlab/fileeditor';
import { INotebookTracker } from '@jupyterlab/notebook';
import { ISettingRegistry } from '@jupyterlab/settingregistry';

import { HlslCompletionProvider } from './completionProvider';
import { trackFileEditors } from './fileEditor';
import { glsl, GLSL_MIME } from './glsl';
import { hlsl, HLSL_MIME } from './hlsl';
import { liveSettings } from './markers';
import { trackNotebooks } from './notebook';
import { ShadersPanel, shaderIcon } from './panel';

const language: JupyterFrontEndPlugin<void> = {
  id: '@streamlib/jupyterlab:language',
  description: 'HLSL highlighting for .hlsl files and %%hlsl cells; GLSL for .glsl files and %%glsl cells.',
  autoStart: true,
  requires: [IEditorLanguageRegistry],
  activate: (app: JupyterFrontEnd, languages: IEditorLanguageRegistry) => {
    languages.addLanguage({
      name: 'hlsl',
      displayName: 'HLSL',
      mime: HLSL_MIME,
      extensions: ['hlsl', 'hlsli', 'fx', 'fxh'],
      support: hlsl()
    });
    languages.addLanguage({
      name: 'glsl',
      displayName: 'GLSL (Shadertoy-style)',
      mime: GLSL_MIME,
      extensions: ['glsl', 'frag'],
      support: glsl()
    });
    app.docRegistry.addFileType({
      name: 'hlsl',
      displayName: 'HLSL shader',
      extensions: ['.hlsl', '.hlsli', '.fx', '.fxh'],
      mimeTypes: [HLSL_MIME],
      fileFormat: 'text',
      contentType: 'file',
      icon: shaderIcon
    });
  }
};

const diagnosticsSettings: JupyterFrontEndPlugin<void> = {
  id: '@streamlib/jupyterlab:diagnostics',
  description: 'Settings of compile-as-you-type (schema/diagnostics.json).',
  autoStart: true,
  requires: [ISettingRegistry],
  activate: async (_app: JupyterFrontEnd, registry: ISettingRegistry) => {
    const settings = await registry.load(diagnosticsSettings.id);
    const apply = (): void => {
      liveSettings.whileTyping = settings.get('whileTyping').composite as boolean;
      liveSettings.typingPauseMs = settings.get('typingPauseMs').composite as number;
    };
    apply();
    settings.changed.connect(apply);
  }
};

const notebookCells: JupyterFrontEndPlugin<void> = {
  id: '@streamlib/jupyterlab:notebook',
  description: 'HLSL in %%hlsl cells, with compile diagnostics as markers.',
  autoStart: true,
  requires: [INotebookTracker, IEditorLanguageRegistry],
  activate: (_app: JupyterFrontEnd, notebooks: INotebookTracker, languages: IEditorLanguageRegistry) =>
    trackNotebooks(notebooks, languages)
};

const fileEditors: JupyterFrontEndPlugin<void> = {
  id: '@streamlib/jupyterlab:file-editor',
  description: 'Compile diagnostics as markers in .hlsl files; saving one swaps it into running effects.',
  autoStart: true,
  requires: [IEditorTracker, INotebookTracker],
  activate: (_app: JupyterFrontEnd, editors: IEditorTracker, notebooks: INotebookTracker) =>
    trackFileEditors(editors, notebooks)
};

const completion: JupyterFrontEndPlugin<void> = {
  id: '@streamlib/jupyterlab:completion',
  description: 'Completion of HLSL intrinsics, types and the prelude names.',
  autoStart: true,
  requires: [ICompletionProviderManager],
  activate: (_app: JupyterFrontEnd, manager: ICompletionProviderManager) =>
    manager.registerProvider(new HlslCompletionProvider())
};

const panel: JupyterFrontEndPlugin<void> = {
  id: '@streamlib/jupyterlab:shaders-panel',
  description: 'A side panel listing the shader library and the kernel’s shaders.',
  autoStart: true,
  requires: [INotebookTracker],
  optional: [IEditorServices],
  activate: (app: JupyterFrontEnd, notebooks: INotebookTracker, editors: IEditorServices | null) => {
    const widget = new ShadersPanel(app, notebooks, editors);
    app.shell.add(widget, 'left', { rank: 600 });
    app.commands.addCommand('streamlib:show-shaders', {
      label: 'Show the Shaders panel',
      execute: () => app.shell.activateById(widget.id)
    });
  }
};

export default [language, diagnosticsSettings, notebookCells, fileEditors, completion, panel];
