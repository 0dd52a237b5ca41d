import { describe, expect, it } from 'vitest';

import { hlslCellSource, parseHlslCell } from '../src/hlslCell';

describe('%%hlsl cells', () => {
  it('splits options from the source', () => {
    const cell = parseHlslCell('%%hlsl blur --compute --entry cs_main --backend glslang\n[numthreads(8,8,1)]\nvoid cs_main() {}');
    expect(cell).toEqual({
      language: 'hlsl',
      name: 'blur',
      stage: 'compute',
      entry: 'cs_main',
      backend: 'glslang',
      source: '[numthreads(8,8,1)]\nvoid cs_main() {}',
      firstLine: 2
    });
  });

  it('leaves the stage to the server without --compute, and defaults the rest', () => {
    // The core decides (comment-aware); the editor keeps no copy of that rule.
    expect(parseHlslCell('%%hlsl sharpen --preview\n[numthreads(8, 8, 1)] void main() {}')).toMatchObject({
      name: 'sharpen',
      stage: 'auto',
      entry: 'main',
      backend: null
    });
    expect(parseHlslCell('%%hlsl')).toMatchObject({ name: 'shader', stage: 'auto', source: '' });
  });

  it('reads a %%glsl cell as a GLSL effect', () => {
    const cell = parseHlslCell('%%glsl ripple --preview\nvoid mainImage(out vec4 o, in vec2 p) {}');
    expect(cell).toMatchObject({ language: 'glsl', name: 'ripple', stage: 'auto', firstLine: 2 });
    expect(cell?.source).toBe('void mainImage(out vec4 o, in vec2 p) {}');
    expect(parseHlslCell('%%glslx foo\n')).toBeNull();
  });

  it('is not fooled by other cells', () => {
    expect(parseHlslCell('import streamlib')).toBeNull();
    expect(parseHlslCell('%%hlslx foo\n')).toBeNull();
    expect(parseHlslCell('# %%hlsl foo\n')).toBeNull();
  });

  it('writes a cell the magic reads back', () => {
    const source = '// Tint.\nfloat4 main(float2 uv : TEXCOORD) : SV_Target { return 1; }\n\n';
    const text = hlslCellSource('tint', source);
    expect(text).toBe('%%hlsl tint\n// Tint.\nfloat4 main(float2 uv : TEXCOORD) : SV_Target { return 1; }\n');
    expect(parseHlslCell(text)).toMatchObject({ name: 'tint', stage: 'auto', source: source.trimEnd() + '\n' });
  });
});
