// Shadertoy-style GLSL for CodeMirror 6: the maintained GLSL stream grammar (`shader` from
// @codemirror/legacy-modes' clike), plus the `%%glsl` magic line and the inputs streamlib provides
// (iTime, iResolution, iChannel0…), coloured as the HLSL prelude's names are.

import { LanguageSupport, StreamLanguage, StreamParser, StringStream, syntaxHighlighting } from '@codemirror/language';
import { shader } from '@codemirror/legacy-modes/mode/clike';
import { tags as t } from '@lezer/highlight';

import { hlslHighlighter, hlslTags } from './hlsl';

export const GLSL_MIME = 'text/x-glsl';

const INPUT = /^i(?:Time|Frame|Resolution|Mouse|Channel0|ChannelResolution)\b/;

export const glslParser: StreamParser<unknown> = {
  ...(shader as StreamParser<unknown>),
  name: 'glsl',
  token(stream: StringStream, state: unknown): string | null {
    if (stream.sol() && stream.match(/^%%\w+/)) {
      stream.skipToEnd();
      return 'glslMagic';
    }
    if (stream.match(INPUT)) {
      return 'glslInput';
    }
    return shader.token(stream, state);
  },
  tokenTable: {
    glslMagic: hlslTags.magic,
    glslInput: t.special(t.variableName)
  }
};

export const glslLanguage = StreamLanguage.define(glslParser);

export function glsl(): LanguageSupport {
  return new LanguageSupport(glslLanguage, [syntaxHighlighting(hlslHighlighter)]);
}
