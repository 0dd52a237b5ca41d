// Asks a notebook's kernel which shaders `streamlib.shaders` holds, without running anything visible:
// an empty silent execute whose user_expressions IPython renders through KernelShaders._repr_json_.

import { NotebookPanel } from '@jupyterlab/notebook';

export interface KernelShader {
  name: string;
  stage: string;
  parameters: string[];
  source: string;
}

export type KernelListing =
  | { state: 'no-notebook' }
  | { state: 'no-kernel' }
  | { state: 'no-streamlib' }
  | { state: 'error'; message: string }
  | { state: 'ok'; shaders: KernelShader[] };

// Only reports when the kernel has imported streamlib itself: asking must not import it as a side effect.
const EXPRESSION =
  "(lambda m: __import__('streamlib.jupyter.library', fromlist=['KernelShaders']).KernelShaders() " +
  "if m else None)(__import__('sys').modules.get('streamlib'))";

export async function kernelShaders(panel: NotebookPanel | null): Promise<KernelListing> {
  if (panel === null) {
    return { state: 'no-notebook' };
  }
  const kernel = panel.sessionContext.session?.kernel;
  if (!kernel || kernel.status === 'dead') {
    return { state: 'no-kernel' };
  }
  const future = kernel.requestExecute({
    code: '',
    silent: true,
    store_history: false,
    user_expressions: { streamlib: EXPRESSION }
  });
  const reply = await future.done;
  const content = reply.content as {
    status: string;
    user_expressions?: Record<string, { status: string; data?: Record<string, unknown>; evalue?: string }>;
  };
  const result = content.user_expressions?.streamlib;
  if (content.status !== 'ok' || !result || result.status !== 'ok') {
    return { state: 'error', message: result?.evalue ?? `kernel replied ${content.status}` };
  }
  const json = result.data?.['application/json'] as { shaders: KernelShader[] } | undefined;
  return json ? { state: 'ok', shaders: json.shaders } : { state: 'no-streamlib' };
}
