// HLSL for CodeMirror 6: the maintained C-family stream grammar (clike from @codemirror/legacy-modes)
// given HLSL's vocabulary, plus what clike has no notion of — semantics, registers, [attributes], the
// prelude's names, the `%%hlsl` magic line, and `@range`-style annotations inside comments.

import {
  LanguageSupport,
  StreamLanguage,
  StreamParser,
  StringStream,
  syntaxHighlighting
} from '@codemirror/language';
import { clike } from '@codemirror/legacy-modes/mode/clike';
import { Tag, tagHighlighter, tags as t } from '@lezer/highlight';

import { hlslHover } from './documentation';
import {
  annotations,
  atoms,
  attributes,
  intrinsics,
  keywords,
  prelude,
  types
} from './vocabulary';

export const HLSL_MIME = 'text/x-hlsl';

// Derived tags: JupyterLab's theme colours them as their parent; the class highlighter below tells them apart.
export const hlslTags = {
  semantic: Tag.define(t.labelName),
  register: Tag.define(t.atom),
  attribute: Tag.define(t.meta),
  annotation: Tag.define(t.meta),
  magic: Tag.define(t.processingInstruction)
};

const asSet = (list: readonly string[]): Record<string, boolean> =>
  Object.fromEntries(list.map(word => [word, true]));

const attributeSet = new Set(attributes);
const annotationSet = new Set(annotations);
const preludeSet = new Set(Object.keys(prelude));

interface HlslState {
  lineComment: boolean;
  blockComment: boolean;
  [key: string]: unknown;
}

// Classifies identifiers clike calls plain variables, from the text just before them.
function refine(stream: StringStream, style: string | null): string | undefined {
  if (style !== 'variable' && style !== 'def') {
    return undefined;
  }
  const word = stream.current();
  const before = stream.string.slice(0, stream.start);
  if (/^SV_/i.test(word) || (/:\s*$/.test(before) && /^[A-Z][A-Z0-9_]*$/.test(word))) {
    return 'hlslSemantic';
  }
  if (
    /\b(?:register|packoffset)\s*\(\s*(?:[^()]*,\s*)?$/.test(before) &&
    /^(?:[btsuc]\d+|space\d+)$/.test(word)
  ) {
    return 'hlslRegister';
  }
  if (/\[\s*$/.test(before) && attributeSet.has(word)) {
    return 'hlslAttribute';
  }
  if (preludeSet.has(word) && !/\.\s*$/.test(before)) {
    return 'hlslPrelude';
  }
  return undefined;
}

const base = clike({
  name: 'hlsl',
  keywords: asSet(keywords),
  types: asSet(types),
  builtin: asSet(Object.keys(intrinsics)),
  atoms: asSet(atoms),
  blockKeywords: asSet(['case', 'do', 'else', 'for', 'if', 'switch', 'while', 'struct', 'cbuffer']),
  defKeywords: asSet(['struct', 'cbuffer', 'tbuffer', 'class', 'interface']),
  typeFirstDefinitions: true,
  number: /^(?:0x[a-f\d]+|(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?)(?:u|l|ul|lu|f|h|hf|lf)?/i,
  hooks: {
    '#': (stream: StringStream, state: { startOfLine: boolean }) => {
      if (!state.startOfLine) {
        return false;
      }
      stream.skipToEnd();
      return 'meta';
    },
    '%': (stream: StringStream, state: { startOfLine: boolean }) => {
      if (state.startOfLine && stream.match(/^%\s*\w+/)) {
        stream.skipToEnd();
        return 'hlslMagic';
      }
      return false;
    },
    token: (stream: StringStream, _state: unknown, style: string | null) => refine(stream, style)
  }
  // clike reads defKeywords, but its type declaration leaves it out.
} as Parameters<typeof clike>[0]) as StreamParser<HlslState>;

// Comments are tokenized here, not by clike, so an annotation inside one gets its own token.
function commentToken(stream: StringStream, state: HlslState): string {
  const annotation = stream.match(/^@[A-Za-z_]\w*/) as RegExpMatchArray | null;
  if (annotation) {
    return annotationSet.has(annotation[0]) ? 'hlslAnnotation' : 'comment';
  }
  while (!stream.eol()) {
    if (state.blockComment && stream.match('*/')) {
      state.blockComment = false;
      return 'comment';
    }
    stream.next();
    if (stream.peek() === '@') {
      break;
    }
  }
  return 'comment';
}

export const hlslParser: StreamParser<HlslState> = {
  ...base,
  name: 'hlsl',
  startState: (indentUnit: number) => ({
    ...base.startState!(indentUnit),
    lineComment: false,
    blockComment: false
  }),
  token(stream: StringStream, state: HlslState): string | null {
    if (stream.sol()) {
      state.lineComment = false;
    }
    if (state.lineComment || state.blockComment) {
      return commentToken(stream, state);
    }
    if (stream.match('//')) {
      state.lineComment = true;
      return 'comment';
    }
    if (stream.match('/*')) {
      state.blockComment = true;
      return 'comment';
    }
    return base.token(stream, state);
  },
  tokenTable: {
    // Names of our own: a legacy style name (attribute, meta…) would win over this table.
    hlslSemantic: hlslTags.semantic,
    hlslRegister: hlslTags.register,
    hlslAttribute: hlslTags.attribute,
    hlslAnnotation: hlslTags.annotation,
    hlslMagic: hlslTags.magic,
    hlslPrelude: t.special(t.variableName)
  }
};

export const hlslLanguage = StreamLanguage.define(hlslParser);

// Stable class names on every token (beside the theme's generated ones), for our CSS and for tests.
export const hlslHighlighter = tagHighlighter([
  { tag: t.keyword, class: 'cm-hlsl-keyword' },
  { tag: t.typeName, class: 'cm-hlsl-type' },
  { tag: t.standard(t.variableName), class: 'cm-hlsl-intrinsic' },
  { tag: t.special(t.variableName), class: 'cm-hlsl-prelude' },
  { tag: t.definition(t.variableName), class: 'cm-hlsl-definition' },
  { tag: t.atom, class: 'cm-hlsl-atom' },
  { tag: t.number, class: 'cm-hlsl-number' },
  { tag: t.string, class: 'cm-hlsl-string' },
  { tag: t.comment, class: 'cm-hlsl-comment' },
  { tag: t.meta, class: 'cm-hlsl-preprocessor' },
  { tag: t.operator, class: 'cm-hlsl-operator' },
  { tag: hlslTags.semantic, class: 'cm-hlsl-semantic' },
  { tag: hlslTags.register, class: 'cm-hlsl-register' },
  { tag: hlslTags.attribute, class: 'cm-hlsl-attribute' },
  { tag: hlslTags.annotation, class: 'cm-hlsl-annotation' },
  { tag: hlslTags.magic, class: 'cm-hlsl-magic' }
]);

export function hlsl(): LanguageSupport {
  return new LanguageSupport(hlslLanguage, [syntaxHighlighting(hlslHighlighter), hlslHover]);
}
