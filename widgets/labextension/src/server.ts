// The streamlib server extension's endpoints (streamlib/jupyter/server.py).

import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import type { CompilePayload } from './diagnostics';

export interface CompileRequest {
  source: string;
  name: string;
  stage?: string;
  entry?: string;
  backend?: string | null;
  /** A file's path under the server root, so its #includes resolve beside it. */
  path?: string;
}

export interface LibraryShader {
  name: string;
  file: string;
  /** Relative to the server root when the file lies under it: then it can be opened in the editor. */
  path: string | null;
  stage: string;
  summary: string;
  source: string;
}

async function call<T>(endpoint: string, init: RequestInit): Promise<T> {
  const settings = ServerConnection.makeSettings();
  const url = URLExt.join(settings.baseUrl, 'streamlib', endpoint);
  const response = await ServerConnection.makeRequest(url, init, settings);
  if (!response.ok) {
    throw new Error(`${endpoint}: ${response.status} ${response.statusText}`);
  }
  return (await response.json()) as T;
}

export function requestCompile(request: CompileRequest): Promise<CompilePayload> {
  return call<CompilePayload>('compile', { method: 'POST', body: JSON.stringify(request) });
}

export async function requestLibrary(): Promise<LibraryShader[]> {
  return (await call<{ shaders: LibraryShader[] }>('shaders', { method: 'GET' })).shaders;
}
