import { describe, expect, it } from 'vitest';

import { documentationAt } from '../src/documentation';

const LINE = '    float4 c = tex2D(input, uv); float v = saturate(c.r) + time; c = input.SampleLevel(s, uv, 0);';
const at = (word: string, offset = 1) => documentationAt(LINE, LINE.indexOf(word) + offset);

describe('hover documentation', () => {
  it('explains the prelude names', () => {
    expect(at('tex2D')?.text).toContain('tex.Sample(input_sampler, uv)');
    expect(at('time')?.text).toBe('float time — seconds since the stream started');
    expect(at('input')).toMatchObject({ from: LINE.indexOf('input'), to: LINE.indexOf('input') + 5 });
  });

  it('gives intrinsic and method signatures', () => {
    expect(at('saturate')?.text).toBe('T saturate(T x) — clamps to [0, 1]');
    expect(at('SampleLevel')?.text).toBe('float4 SampleLevel(SamplerState s, float2 uv, float lod)');
  });

  it('finds the word from either end, and nothing elsewhere', () => {
    expect(at('saturate', 0)?.text).toContain('saturate');
    expect(at('saturate', 'saturate'.length)?.text).toContain('saturate');
    expect(at('float4')).toBeNull();
    expect(at('uv')).toBeNull();
    expect(documentationAt(LINE, 0)).toBeNull();
    // A member that shares a prelude name is the member, not the prelude's.
    expect(documentationAt('c.time', 3)).toBeNull();
  });
});
