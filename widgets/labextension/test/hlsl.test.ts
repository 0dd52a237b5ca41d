import { ensureSyntaxTree } from '@codemirror/language';
import { EditorState } from '@codemirror/state';
import { highlightTree } from '@lezer/highlight';
import { describe, expect, it } from 'vitest';

import { hlslHighlighter, hlslLanguage } from '../src/hlsl';

/** [text, class] for every highlighted span, in document order. */
function tokens(text: string): [string, string][] {
  const state = EditorState.create({ doc: text, extensions: [hlslLanguage] });
  const tree = ensureSyntaxTree(state, state.doc.length, 5000);
  if (!tree) {
    throw new Error('the parser did not finish');
  }
  const spans: [string, string][] = [];
  highlightTree(tree, hlslHighlighter, (from, to, classes) => spans.push([text.slice(from, to), classes]));
  return spans;
}

const classOf = (text: string, word: string): string | undefined =>
  tokens(text).find(([token]) => token === word)?.[1];

const VIGNETTE = `%%hlsl vignette --preview
#include "common/color.hlsl"
cbuffer Params : register(b0) {
    float strength; /* @range(0, 1) @default(0.5) */
    float3 tint;    // @color @default(1, 0.5, 0.25) a note
};

float4 main(float2 uv : TEXCOORD) : SV_Target {
    float4 c = tex2D(input, uv);
    float d = 2.0 * length(uv - 0.5) + time;
    return float4(saturate(c.rgb * (1.0 - strength * d)), c.a);
}
`;

describe('HLSL highlighting', () => {
  it('marks keywords, types and intrinsics', () => {
    expect(classOf(VIGNETTE, 'cbuffer')).toBe('cm-hlsl-keyword');
    expect(classOf(VIGNETTE, 'return')).toBe('cm-hlsl-keyword');
    expect(classOf(VIGNETTE, 'float4')).toBe('cm-hlsl-type');
    expect(classOf(VIGNETTE, 'float3')).toBe('cm-hlsl-type');
    expect(classOf(VIGNETTE, 'saturate')).toBe('cm-hlsl-intrinsic');
    expect(classOf(VIGNETTE, 'length')).toBe('cm-hlsl-intrinsic');
  });

  it('knows every vector and matrix type and the resource types', () => {
    const text = 'RWTexture2D<float4> o; Texture2D t; SamplerState s; half3x3 m; min16float2 v; uint4 u;';
    for (const word of ['RWTexture2D', 'Texture2D', 'SamplerState', 'half3x3', 'min16float2', 'uint4']) {
      expect(classOf(text, word), word).toBe('cm-hlsl-type');
    }
  });

  it('marks semantics, registers and attributes', () => {
    expect(classOf(VIGNETTE, 'SV_Target')).toBe('cm-hlsl-semantic');
    expect(classOf(VIGNETTE, 'TEXCOORD')).toBe('cm-hlsl-semantic');
    expect(classOf(VIGNETTE, 'b0')).toBe('cm-hlsl-register');
    const compute = '[numthreads(8, 8, 1)]\nvoid main(uint3 id : SV_DispatchThreadID) { [unroll] for (;;) {} }';
    expect(classOf(compute, 'numthreads')).toBe('cm-hlsl-attribute');
    expect(classOf(compute, 'unroll')).toBe('cm-hlsl-attribute');
    expect(classOf(compute, 'SV_DispatchThreadID')).toBe('cm-hlsl-semantic');
    expect(classOf('Texture2D t : register(t1, space2);', 'space2')).toBe('cm-hlsl-register');
  });

  it('does not take the else branch of a ternary for a semantic', () => {
    expect(classOf('float x = a ? b : c;', 'c')).toBeUndefined();
  });

  it('marks annotations inside both comment styles, and the rest of the comment as comment', () => {
    const spans = tokens(VIGNETTE);
    const annotationsFound = spans.filter(([, cls]) => cls === 'cm-hlsl-annotation').map(([text]) => text);
    expect(annotationsFound).toEqual(['@range', '@default', '@color', '@default']);
    expect(spans).toContainEqual(['(0, 1) ', 'cm-hlsl-comment']);
    expect(spans).toContainEqual(['(1, 0.5, 0.25) a note', 'cm-hlsl-comment']);
    // An unknown @word stays part of the comment.
    expect(tokens('// mail me @home')).toEqual([['// mail me @home', 'cm-hlsl-comment']]);
  });

  it('keeps a block comment open across lines', () => {
    const spans = tokens('/* first\n float4 not_code; @range(0, 2)\n*/ float4 x;');
    expect(spans).toContainEqual([' float4 not_code; ', 'cm-hlsl-comment']);
    expect(spans).toContainEqual(['@range', 'cm-hlsl-annotation']);
    expect(spans.filter(([text]) => text === 'float4')).toEqual([['float4', 'cm-hlsl-type']]);
  });

  it('marks the prelude names, the magic line and preprocessor lines', () => {
    expect(classOf(VIGNETTE, 'tex2D')).toBe('cm-hlsl-prelude');
    expect(classOf(VIGNETTE, 'input')).toBe('cm-hlsl-prelude');
    expect(classOf(VIGNETTE, 'time')).toBe('cm-hlsl-prelude');
    expect(classOf(VIGNETTE, '%%hlsl vignette --preview')).toBe('cm-hlsl-magic');
    expect(classOf(VIGNETTE, '#include "common/color.hlsl"')).toBe('cm-hlsl-preprocessor');
    // A member access is not the prelude's name.
    expect(classOf('float t = s.time;', 'time')).toBeUndefined();
  });

  it('marks numbers with HLSL suffixes', () => {
    for (const number of ['1.0h', '2u', '0x1F', '1e-4', '.5f']) {
      expect(classOf(`float x = ${number};`, number), number).toBe('cm-hlsl-number');
    }
  });
});
