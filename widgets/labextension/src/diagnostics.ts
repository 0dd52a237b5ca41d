// Compile diagnostics (the server's and the %%hlsl magic's payload) → CodeMirror lint markers.

import type { Diagnostic } from '@codemirror/lint';
import type { Text } from '@codemirror/state';

/** One diagnostic as streamlib reports it: 1-based line and column in the shader's own text. */
export interface ShaderDiagnostic {
  severity: string;
  line: number | null;
  column: number | null;
  message: string;
  file?: string;
  in_source?: boolean;
}

/** What /streamlib/compile returns and what the %%hlsl magic puts in the cell's output. */
export interface CompilePayload {
  name: string;
  ok: boolean;
  diagnostics: ShaderDiagnostic[];
  stage?: string;
  compile_ms?: number;
  parameters?: string[];
}

export const PAYLOAD_MIME = 'application/vnd.streamlib.diagnostics+json';

const SEVERITIES: Record<string, Diagnostic['severity']> = {
  error: 'error',
  fatal: 'error',
  warning: 'warning'
};

const IDENTIFIER = /[\w$]/;

/**
 * Places each diagnostic in `doc`, where the shader's line 1 is the document's line `firstLine`
 * (2 in a `%%hlsl` cell, 1 in a file). A column marks the word that starts there (one character
 * otherwise; the last one when it points past the end, as "missing ;" does); no column marks the line.
 * Messages from #include'd files, or with no line, are pinned to the shader's first line.
 */
export function toMarkers(doc: Text, diagnostics: ShaderDiagnostic[], firstLine: number): Diagnostic[] {
  return diagnostics.map(diagnostic => {
    const inSource = diagnostic.in_source !== false && diagnostic.line !== null;
    const wanted = inSource ? diagnostic.line! + firstLine - 1 : firstLine;
    const line = doc.line(Math.min(Math.max(wanted, 1), doc.lines));
    let message = diagnostic.message;
    if (!inSource && diagnostic.file && diagnostic.line !== null) {
      message = `${diagnostic.file}:${diagnostic.line}: ${message}`;
    }
    let from: number;
    let to: number;
    if (inSource && diagnostic.column !== null && line.length > 0) {
      from = line.from + Math.min(Math.max(diagnostic.column - 1, 0), line.length - 1);
      to = from + 1;
      while (to < line.to && IDENTIFIER.test(line.text[from - line.from]) && IDENTIFIER.test(line.text[to - line.from])) {
        to++;
      }
    } else {
      const indent = line.text.length - line.text.trimStart().length;
      from = line.from + Math.min(indent, line.length);
      to = line.to;
    }
    return {
      from,
      to,
      severity: SEVERITIES[diagnostic.severity] ?? 'info',
      source: 'streamlib',
      message
    };
  });
}
