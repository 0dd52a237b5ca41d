// HLSL completion in JupyterLab's completer (Tab), for %%hlsl cells and .hlsl files.

import {
  CompletionHandler,
  ICompletionContext,
  ICompletionProvider
} from '@jupyterlab/completer';

import { completionsAt } from './completions';
import { HLSL_MIME } from './hlsl';

export class HlslCompletionProvider implements ICompletionProvider {
  readonly identifier = 'streamlib:hlsl';
  // Above the kernel's provider, whose Python suggestions mean nothing in a shader.
  readonly rank = 1000;
  readonly renderer = null;

  isApplicable(context: ICompletionContext): Promise<boolean> {
    return Promise.resolve(context.editor?.model.mimeType === HLSL_MIME);
  }

  fetch(request: CompletionHandler.IRequest): Promise<CompletionHandler.ICompletionItemsReply> {
    const { start, end, items } = completionsAt(request.text, request.offset);
    return Promise.resolve({ start, end, items: items.map(item => ({ ...item })) });
  }
}
