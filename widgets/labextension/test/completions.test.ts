import { describe, expect, it } from 'vitest';

import { completionsAt } from '../src/completions';

const labels = (text: string, offset = text.length): string[] =>
  completionsAt(text, offset).items.map(item => item.label);

describe('HLSL completion', () => {
  it('offers intrinsics with their signature', () => {
    const result = completionsAt('return sat', 10);
    expect(result.start).toBe(7);
    expect(result.end).toBe(10);
    expect(result.items[0]).toMatchObject({ label: 'saturate', type: 'function' });
    expect(result.items[0].documentation).toContain('[0, 1]');
  });

  it("offers the prelude's names", () => {
    expect(labels('float4 c = te')).toContain('tex2D');
    expect(labels('float t = ti')).toEqual(['time']);
    expect(labels('float2 r = res')).toEqual(['resolution']);
    expect(labels('m')).toEqual(expect.arrayContaining(['mouse', 'mul', 'max', 'min', 'matrix']));
    expect(labels('float4 c = inp')).toEqual(['input', 'input_sampler']);
  });

  it('offers types, case-sensitive matches first', () => {
    const found = labels('rwtex');
    expect(found[0]).toBe('RWTexture1D');
    expect(found).toContain('RWTexture2D');
    expect(labels('float4x')).toEqual(['float4x1', 'float4x2', 'float4x3', 'float4x4']);
  });

  it('offers methods after a dot, and annotations after an @', () => {
    expect(labels('input.Sam')).toEqual(['Sample', 'SampleLevel', 'SampleGrad', 'SampleBias', 'SampleCmp']);
    expect(labels('float x; // @ra')).toEqual(['@range']);
    expect(labels('float x; // @')).toEqual(['@range', '@default', '@color', '@checkbox']);
  });

  it('completes at the cursor, not at the end of the text', () => {
    const text = 'float a = sm; float b = 1;';
    expect(completionsAt(text, 12).items.map(i => i.label)).toEqual(['smoothstep']);
  });

  it("offers the shader's own names before the language's, but not from comments or the magic line", () => {
    const text = '%%hlsl glow_fx\ncbuffer Params { float strength; /* stripe */ };\n// strobe\nfloat x = str';
    expect(labels(text)).toEqual(['strength', 'string', 'struct', 'StructuredBuffer']);
    expect(completionsAt(text, text.length).items[0]).toMatchObject({ type: 'variable', documentation: 'in this shader' });
    expect(labels('%%hlsl glow_fx\nglo')).toEqual(['globallycoherent']);
  });

  it('does not offer the word being typed as its own completion', () => {
    const text = 'float gain = 1; float y = gai * gain2;';
    expect(labels(text, text.indexOf('gai *') + 3)).toEqual(['gain', 'gain2']);
  });
});
