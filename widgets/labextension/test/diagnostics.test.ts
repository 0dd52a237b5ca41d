import { Text } from '@codemirror/state';
import { describe, expect, it } from 'vitest';

import { ShaderDiagnostic, toMarkers } from '../src/diagnostics';

const CELL = `%%hlsl tint
float4 main(float2 uv : TEXCOORD) : SV_Target {
  float4 c = tex2D(input, uv)
  return c * undefined_gain;
}`;
const doc = Text.of(CELL.split('\n'));

const error = (line: number | null, column: number | null, message = 'bad'): ShaderDiagnostic => ({
  severity: 'error',
  line,
  column,
  message,
  file: 'tint',
  in_source: true
});

const marked = (from: number, to: number): string => doc.sliceString(from, to);

describe('diagnostics to markers', () => {
  it('puts a column diagnostic on the word it points at, below the magic line', () => {
    const [marker] = toMarkers(doc, [error(3, 14, "'undefined_gain': unknown variable")], 2);
    expect(doc.lineAt(marker.from).number).toBe(4);
    expect(marked(marker.from, marker.to)).toBe('undefined_gain');
    expect(marker.severity).toBe('error');
    expect(marker.message).toBe("'undefined_gain': unknown variable");
  });

  it('marks the last character when the column is past the end of the line (missing ;)', () => {
    const [marker] = toMarkers(doc, [error(2, 30)], 2);
    expect(doc.lineAt(marker.from).number).toBe(3);
    expect(marked(marker.from, marker.to)).toBe(')');
  });

  it('marks one character for punctuation, and the trimmed line when there is no column', () => {
    const [punct, whole] = toMarkers(doc, [error(1, 47), error(2, null)], 2);
    expect(marked(punct.from, punct.to)).toBe('{');
    expect(marked(whole.from, whole.to)).toBe('float4 c = tex2D(input, uv)');
  });

  it('maps a file (first line 1) without shifting', () => {
    const file = Text.of(['float4 main() : SV_Target {', '  return x;', '}']);
    const [marker] = toMarkers(file, [error(2, 10)], 1);
    expect(file.sliceString(marker.from, marker.to)).toBe('x');
  });

  it('pins included-file and line-less messages to the first shader line, naming the file', () => {
    const included: ShaderDiagnostic = { ...error(7, 3, 'oops'), file: 'common/color.hlsl', in_source: false };
    const [fromInclude, lineless] = toMarkers(doc, [included, error(null, null, 'link failed')], 2);
    expect(doc.lineAt(fromInclude.from).number).toBe(2);
    expect(fromInclude.message).toBe('common/color.hlsl:7: oops');
    expect(doc.lineAt(lineless.from).number).toBe(2);
    expect(lineless.message).toBe('link failed');
  });

  it('clamps lines past the end and maps severities', () => {
    const [late, warning, note] = toMarkers(
      doc,
      [error(99, 1), { ...error(1, 1), severity: 'warning' }, { ...error(1, 1), severity: 'note' }],
      2
    );
    expect(doc.lineAt(late.from).number).toBe(doc.lines);
    expect(warning.severity).toBe('warning');
    expect(note.severity).toBe('info');
  });

  it('gives no markers for no diagnostics', () => {
    expect(toMarkers(doc, [], 2)).toEqual([]);
  });
});
