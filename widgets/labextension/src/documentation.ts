// Hover documentation in HLSL editors: the signature of an intrinsic or method, or what a prelude name is.

import { hoverTooltip, Tooltip } from '@codemirror/view';

import { intrinsics, methods, prelude } from './vocabulary';

export interface WordDocumentation {
  from: number;
  to: number;
  text: string;
}

/** The documented word around `pos` in `text` (0-based offsets), or null. */
export function documentationAt(text: string, pos: number): WordDocumentation | null {
  let from = pos;
  let to = pos;
  while (from > 0 && /\w/.test(text[from - 1])) {
    from--;
  }
  while (to < text.length && /\w/.test(text[to])) {
    to++;
  }
  if (from === to) {
    return null;
  }
  const word = text.slice(from, to);
  const afterDot = /\.\s*$/.test(text.slice(Math.max(0, from - 8), from));
  const found = afterDot
    ? methods[word]
    : Object.prototype.hasOwnProperty.call(prelude, word)
      ? prelude[word]
      : Object.prototype.hasOwnProperty.call(intrinsics, word)
        ? intrinsics[word]
        : undefined;
  return found ? { from, to, text: found } : null;
}

export const hlslHover = hoverTooltip((view, pos): Tooltip | null => {
  const line = view.state.doc.lineAt(pos);
  const found = documentationAt(line.text, pos - line.from);
  if (found === null) {
    return null;
  }
  return {
    pos: line.from + found.from,
    end: line.from + found.to,
    above: true,
    create: () => {
      const dom = document.createElement('div');
      dom.className = 'cm-hlsl-doc';
      dom.textContent = found.text;
      return { dom };
    }
  };
});
