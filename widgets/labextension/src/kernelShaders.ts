// Talks to notebook kernels without running anything visible: an empty silent execute whose
// user_expressions IPython renders through a `_repr_json_` (streamlib/jupyter/library.py). Each expression
// only acts when the kernel has imported streamlib itself: asking must not import it as a side effect.

import { NotebookPanel } from '@jupyterlab/notebook';
import { Kernel } from '@jupyterlab/services';

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

function expression(call: string): string {
  const name = call.slice(0, call.indexOf('('));
  return (
    `(lambda m: __import__('streamlib.jupyter.library', fromlist=['${name}']).${call} ` +
    "if m else None)(__import__('sys').modules.get('streamlib'))"
  );
}

type Evaluation<T> = { state: 'ok'; value: T | null } | { state: 'error'; message: string };

/** Evaluates `call` (a class of streamlib.jupyter.library) in the kernel; value null: streamlib not imported. */
async function evaluate<T>(kernel: Kernel.IKernelConnection, call: string): Promise<Evaluation<T>> {
  const future = kernel.requestExecute({
    code: '',
    silent: true,
    store_history: false,
    user_expressions: { streamlib: expression(call) }
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
  return { state: 'ok', value: (result.data?.['application/json'] as T | undefined) ?? null };
}

function liveKernel(panel: NotebookPanel): Kernel.IKernelConnection | null {
  const kernel = panel.sessionContext.session?.kernel;
  return kernel && kernel.status !== 'dead' ? kernel : null;
}

export async function kernelShaders(panel: NotebookPanel | null): Promise<KernelListing> {
  if (panel === null) {
    return { state: 'no-notebook' };
  }
  const kernel = liveKernel(panel);
  if (kernel === null) {
    return { state: 'no-kernel' };
  }
  const result = await evaluate<{ shaders: KernelShader[] }>(kernel, 'KernelShaders()');
  if (result.state === 'error') {
    return result;
  }
  return result.value ? { state: 'ok', shaders: result.value.shaders } : { state: 'no-streamlib' };
}

export interface FileReload {
  notebook: string;
  effects: string[];
  error: string | null;
}

/**
 * Swaps the saved file at `path` (absolute, as the kernels see it) into the effects made from it, in the
 * kernel of every open notebook; the answers of kernels where an effect uses the file or the swap failed.
 */
export async function reloadFileInKernels(panels: NotebookPanel[], path: string): Promise<FileReload[]> {
  const seen = new Set<string>();
  const asked: Promise<FileReload | null>[] = [];
  for (const panel of panels) {
    const kernel = liveKernel(panel);
    if (kernel === null || seen.has(kernel.id)) {
      continue;
    }
    seen.add(kernel.id);
    asked.push(
      evaluate<{ effects: string[]; error: string | null }>(kernel, `FileReload(${JSON.stringify(path)})`).then(
        result =>
          result.state === 'ok' && result.value && (result.value.effects.length > 0 || result.value.error)
            ? { notebook: panel.context.path, ...result.value }
            : null
      )
    );
  }
  return (await Promise.all(asked)).filter((answer): answer is FileReload => answer !== null);
}
