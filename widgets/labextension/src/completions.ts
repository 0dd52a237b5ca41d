// What to offer at the cursor in HLSL: the prelude's names, the shader's own names, intrinsics, types and
// keywords; methods after a '.'; annotations after an '@'.

import { annotations, intrinsics, keywords, methods, prelude, types } from './vocabulary';

export interface Completion {
  label: string;
  type: 'function' | 'variable' | 'class' | 'keyword' | 'method' | 'annotation';
  documentation?: string;
}

const PRELUDE: Completion[] = Object.entries(prelude).map(([label, documentation]) => ({
  label,
  type: label === 'tex2D' ? ('function' as const) : ('variable' as const),
  documentation
}));
const LANGUAGE: Completion[] = [
  ...Object.entries(intrinsics).map(([label, documentation]) => ({
    label,
    type: 'function' as const,
    documentation
  })),
  ...types.map(label => ({ label, type: 'class' as const })),
  ...keywords.map(label => ({ label, type: 'keyword' as const }))
];
const METHODS: Completion[] = Object.entries(methods).map(([label, documentation]) => ({
  label,
  type: 'method' as const,
  documentation
}));
const KNOWN = new Set([...PRELUDE, ...LANGUAGE, ...METHODS].map(item => item.label));

/** Names the shader itself uses (its parameters, functions, locals), found in the text outside comments and
 * the magic line, leaving out the word being typed. */
function shaderNames(text: string, start: number, end: number): Completion[] {
  const rest = (text.slice(0, start) + ' ' + text.slice(end))
    .replace(/^%%.*$/m, '')
    .replace(/\/\*[\s\S]*?(\*\/|$)/g, ' ')
    .replace(/\/\/.*$/gm, ' ');
  const names = new Set(rest.match(/\b[A-Za-z_]\w+/g) ?? []);
  return [...names]
    .filter(name => !KNOWN.has(name))
    .map(label => ({ label, type: 'variable' as const, documentation: 'in this shader' }));
}

const ANNOTATIONS: Completion[] = annotations.map(label => ({ label, type: 'annotation' as const }));

export interface CompletionResult {
  start: number;
  end: number;
  items: Completion[];
}

export function completionsAt(text: string, offset: number): CompletionResult {
  const before = text.slice(0, offset);
  const word = /@?[A-Za-z_]\w*$|@$/.exec(before)?.[0] ?? '';
  const start = offset - word.length;
  let pool: Completion[];
  if (word.startsWith('@')) {
    pool = ANNOTATIONS;
  } else if (/\.\s*$/.test(text.slice(0, start))) {
    pool = METHODS;
  } else {
    const wordEnd = offset + (/^\w*/.exec(text.slice(offset))?.[0].length ?? 0);
    pool = [...PRELUDE, ...shaderNames(text, start, wordEnd), ...LANGUAGE];
  }
  const lower = word.toLowerCase();
  // Exact-case prefix matches first, then the case-insensitive ones; each group in vocabulary order.
  const exact = pool.filter(item => item.label.startsWith(word));
  const loose = pool.filter(item => !item.label.startsWith(word) && item.label.toLowerCase().startsWith(lower));
  return { start, end: offset, items: [...exact, ...loose] };
}
