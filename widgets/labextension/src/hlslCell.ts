// `%%hlsl` and `%%glsl` cells: reading one (its options and shader source) and writing one (from a library
// shader).

/** A `%%hlsl NAME [--compute] [--entry E] [--backend B]` (or `%%glsl NAME`) cell, split into its options and
 * shader source. */
export interface HlslCell {
  /** 'glsl' for a `%%glsl` cell (a Shadertoy-style effect). */
  language: 'hlsl' | 'glsl';
  name: string;
  /** 'auto': the server compiles it as the core decides (compute when [numthreads(…)] marks the entry). */
  stage: 'auto' | 'compute';
  entry: string;
  backend: string | null;
  source: string;
  firstLine: number;
}

const MAGIC = /^%%(hlsl|glsl)(?:[ \t]+(.*))?$/;

export function parseHlslCell(text: string): HlslCell | null {
  const newline = text.indexOf('\n');
  const header = newline < 0 ? text : text.slice(0, newline);
  const match = MAGIC.exec(header.trimEnd());
  if (!match) {
    return null;
  }
  const args = (match[2] ?? '').split(/\s+/).filter(Boolean);
  const source = newline < 0 ? '' : text.slice(newline + 1);
  const option = (flag: string): string | null => {
    const at = args.indexOf(flag);
    return at >= 0 && at + 1 < args.length ? args[at + 1] : null;
  };
  const positional = args.filter((arg, i) => !arg.startsWith('--') && !['--entry', '--backend'].includes(args[i - 1]));
  return {
    language: match[1] === 'glsl' ? 'glsl' : 'hlsl',
    name: positional[0] ?? 'shader',
    stage: args.includes('--compute') ? 'compute' : 'auto',
    entry: option('--entry') ?? 'main',
    backend: option('--backend'),
    source,
    firstLine: 2
  };
}

/** The text of an inserted cell: the magic, then the shader as the library has it. (A compute shader
 * needs no --compute: its [numthreads] says so to the magic.) */
export function hlslCellSource(name: string, source: string): string {
  return `%%hlsl ${name}\n${source.replace(/\s+$/, '')}\n`;
}
