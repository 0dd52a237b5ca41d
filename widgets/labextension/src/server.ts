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
  /** 'glsl' for a Shadertoy-style effect; HLSL otherwise. */
  language?: string;
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

/** A non-2xx answer from the server extension; 404 means it is not enabled. */
export class ServerError extends Error {
  constructor(
    readonly endpoint: string,
    readonly status: number,
    statusText: string
  ) {
    super(`${endpoint}: ${status} ${statusText}`);
  }
}

async function call<T>(endpoint: string, init: RequestInit): Promise<T> {
  const settings = ServerConnection.makeSettings();
  const url = URLExt.join(settings.baseUrl, 'streamlib', endpoint);
  const response = await ServerConnection.makeRequest(url, init, settings);
  if (!response.ok) {
    throw new ServerError(endpoint, response.status, response.statusText);
  }
  return (await response.json()) as T;
}

export function requestCompile(request: CompileRequest): Promise<CompilePayload> {
  return call<CompilePayload>('compile', { method: 'POST', body: JSON.stringify(request) });
}

export async function requestLibrary(): Promise<LibraryShader[]> {
  return (await call<{ shaders: LibraryShader[] }>('shaders', { method: 'GET' })).shaders;
}
