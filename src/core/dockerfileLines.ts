/**
 * Instruction boundaries of a Dockerfile exactly as the engine's parser draws them: which lines
 * form one instruction, its logical line (what the engine parses), its flags and heredocs, and
 * the parser directives.
 *
 * Why this is hand-written: `dockerfile-ast` (used by the model for arguments and stage names)
 * joins and splits lines differently from the engine in cases measured on Docker Engine 20.10
 * (classic builder and BuildKit alike): an escaped escape (`echo a\\` then a new line) does not
 * continue a line for the engine but does for dockerfile-ast; a directive value followed by
 * trailing whitespace ends dockerfile-ast's directive scan (so a later `# escape=` is missed);
 * an unknown directive (`# foo=bar`) ends the engine's directive block but not dockerfile-ast's;
 * a line holding only the escape character starts a continuation for the engine; `\ \` at the
 * end of a line continues it for the engine. The rules below follow moby/buildkit
 * `frontend/dockerfile/parser/parser.go` (`Parse`, `trimContinuationCharacter`, `processLine`,
 * `isComment`, `isEmptyContinuationLine`, the heredoc loop) and `directives.go`
 * (`DirectiveParser.ParseLine`):
 * - lines end at LF only; trailing CR/LF are trimmed; a leading UTF-8 BOM is dropped;
 * - parser directives: `#` + `name = value` on the left-trimmed line, only in the leading
 *   block; the first line that is not a known directive ends the block; a repeated directive is
 *   an error; `escape` must be `\` or `` ` ``;
 * - a line continues when it matches `([^E])E[ \t]*$|^E[ \t]*$` (E = the escape character), the
 *   marker (and the whitespace after it) is removed;
 * - the first line of an instruction is left-trimmed; a comment line (`#` after left-trim) there
 *   is empty; inside a continuation, comment lines and whitespace-only lines are skipped (the
 *   latter are the deprecated "empty continuation lines"); continuation lines keep their
 *   leading whitespace;
 * - heredocs (frontends with heredoc support): in RUN, COPY, ADD (also under ONBUILD), not in
 *   JSON form, each word `[n]<<[-]NAME` opens one; its body runs to the line equal to NAME
 *   (leading tabs removed for `<<-`).
 *
 * Offsets are UTF-16 offsets into the text after the BOM was removed.
 */

/** Which parser rules apply: they differ between Dockerfile frontend versions. */
export interface ParserDialect {
  /** Directive names the frontend knows (lower case); any other directive ends the directive block. */
  directives: readonly string[];
  /** Whether RUN/COPY/ADD heredocs are parsed (Dockerfile frontend 1.4+, built into Docker Engine 23+). */
  heredocs: boolean;
}

/** The rules of current Dockerfile frontends (1.8+): `syntax`, `escape`, `check`, heredocs. */
export const CURRENT_DIALECT: ParserDialect = { directives: ['syntax', 'escape', 'check'], heredocs: true };

/** A parser directive of the leading block. */
export interface RawDirective {
  /** Lower-case name, e.g. "escape". */
  name: string;
  value: string;
  /** Zero-based line (counting LF only, as the engine does). */
  line: number;
  /** Offset of the line's first character. */
  start: number;
}

/** A flag before an instruction's arguments: `--mount=type=cache,target=/x` → {name: "mount", value: "type=cache,target=/x"}. */
export interface InstructionFlag {
  name: string;
  /** Undefined for a bare flag (`--link`). */
  value?: string;
}

/** One instruction as the engine's parser sees it. */
export interface RawInstruction {
  /** Offset of the keyword's first character. */
  start: number;
  /** Offset just after the last character that belongs to it (trailing whitespace excluded). */
  end: number;
  /** Zero-based LF-counted lines of the keyword and of the last line read for it. */
  startLine: number;
  endLine: number;
  /** The logical line: continuation markers removed, comment and empty continuation lines dropped. */
  line: string;
  /** Upper-case keyword (first word of the logical line). */
  keyword: string;
  /** Flags written before the arguments, in order. */
  flags: InstructionFlag[];
  /** Names of the heredocs this instruction opens (their bodies are inside [start, end)). */
  heredocs: string[];
  /**
   * With a dialect without heredocs: names of `<<NAME` words whose terminator line follows, i.e.
   * heredocs a frontend with heredoc support would read (the engine here treats the body lines as
   * instructions). Empty otherwise.
   */
  latentHeredocs: string[];
  /** Whether a whitespace-only line continued it (deprecated; the engine warns). */
  emptyContinuation: boolean;
}

/** A parse error the engine would report (`dockerfile parse error line N: …`). */
export interface RawProblem {
  /** Zero-based LF-counted line. */
  line: number;
  /** Offset of that line's first character. */
  start: number;
  message: string;
}

/** Outcome of {@link splitInstructions}. */
export interface SplitResult {
  escapeChar: '\\' | '`';
  directives: RawDirective[];
  instructions: RawInstruction[];
  problems: RawProblem[];
}

interface Line {
  /** Offset of the line's first character. */
  start: number;
  /** The line without its trailing CR/LF characters. */
  text: string;
}

/** Go's unicode.IsSpace for the characters that matter in a Dockerfile line. */
const LEADING_SPACE = /^[\s\u0085]+/;
/** Go's regexp `\s` (ASCII only: tab, LF, FF, CR, space). */
const DIRECTIVE_RE = /^([a-zA-Z][a-zA-Z0-9]*)[\t\n\f\r ]*=[\t\n\f\r ]*(.+?)[\t\n\f\r ]*$/;
const HEREDOC_WORD_RE = /^(\d*)<<(-?)([^<]*)$/;
const HEREDOC_KEYWORDS = new Set(['RUN', 'COPY', 'ADD']);

function linesOf(text: string): Line[] {
  const out: Line[] = [];
  let start = 0;
  while (start < text.length) {
    const nl = text.indexOf('\n', start);
    const end = nl === -1 ? text.length : nl + 1;
    out.push({ start, text: text.slice(start, end).replace(/[\r\n]+$/, '') });
    start = end;
  }
  return out;
}

function continuationRe(escape: string): RegExp {
  const e = escape === '`' ? '`' : '\\\\';
  return new RegExp(`([^${e}])${e}[ \\t]*$|^${e}[ \\t]*$`);
}

const isComment = (line: string): boolean => line.replace(LEADING_SPACE, '').startsWith('#');

/**
 * Words of a logical line split on unquoted whitespace, quotes and escapes kept as written
 * (the engine's shell lexer with raw quotes and raw escapes, which is what heredoc detection
 * uses). Variables are not expanded.
 */
function rawWords(line: string, escape: string): string[] {
  const words: string[] = [];
  let word = '';
  let quote: string | undefined;
  let inWord = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      word += c;
      if (c === escape && quote === '"' && i + 1 < line.length) word += line[++i]!;
      else if (c === quote) quote = undefined;
      continue;
    }
    if (c === ' ' || c === '\t') {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
      continue;
    }
    inWord = true;
    word += c;
    if (c === escape && i + 1 < line.length) word += line[++i]!;
    else if (c === '"' || c === "'") quote = c;
  }
  if (inWord) words.push(word);
  return words;
}

/** The heredoc name a word opens, or undefined (`<<EOF`, `<<-"END"`, `3<<'X'`). */
function heredocName(word: string): { name: string; chomp: boolean } | undefined {
  const m = HEREDOC_WORD_RE.exec(word);
  if (!m || m[3] === '') return undefined;
  const rest = m[3]!;
  // one word once unquoted: drop the quotes around (or inside) the name
  const name = rest.replace(/["']/g, '');
  if (name === '' || /\s/.test(name)) return undefined;
  return { name, chomp: m[2] === '-' };
}

/** Flags (`--name[=value]`) at the start of the arguments, and the arguments after them. */
function splitFlags(args: string): { flags: InstructionFlag[]; rest: string } {
  const flags: InstructionFlag[] = [];
  let rest = args;
  for (;;) {
    const m = /^--([^\s=]*)(?:=(\S*))?(?:[\t\v\f\r ]+|$)/.exec(rest);
    if (!m || m[1] === '') break;
    flags.push(m[2] === undefined ? { name: m[1]! } : { name: m[1]!, value: m[2] });
    rest = rest.slice(m[0].length);
  }
  return { flags, rest };
}

function isJsonForm(args: string): boolean {
  const t = args.trim();
  if (!t.startsWith('[')) return false;
  try {
    const v: unknown = JSON.parse(t);
    return Array.isArray(v) && v.every((x) => typeof x === 'string');
  } catch {
    return false;
  }
}

/** The heredocs an instruction's logical line opens (RUN, COPY, ADD, also under ONBUILD; not in JSON form). */
function heredocOpeners(keyword: string, args: string, line: string, escape: string): Array<{ name: string; chomp: boolean }> {
  // ONBUILD RUN <<EOF: the trigger's keyword decides.
  const trigger = keyword === 'ONBUILD' ? /^(\S+)(?:\s+([\s\S]*))?$/.exec(args.trim()) : undefined;
  const kw = trigger ? trigger[1]!.toUpperCase() : keyword;
  const rest = trigger ? splitFlags(trigger[2] ?? '').rest : args;
  if (!HEREDOC_KEYWORDS.has(kw) || isJsonForm(rest)) return [];
  return rawWords(line, escape).flatMap((w) => heredocName(w) ?? []);
}

/**
 * Split Dockerfile text into instructions the way the engine's parser does.
 * @param text Dockerfile text; a leading BOM must already be removed (offsets refer to the rest).
 * @param dialect the frontend's rules (directives it knows, heredocs).
 * @returns escape character, directives, instructions in file order and parse problems; never throws.
 */
export function splitInstructions(text: string, dialect: ParserDialect = CURRENT_DIALECT): SplitResult {
  const lines = linesOf(text);
  const known = new Set(dialect.directives);
  const directives: RawDirective[] = [];
  const problems: RawProblem[] = [];
  const instructions: RawInstruction[] = [];
  let escape: '\\' | '`' = '\\';
  let contRe = continuationRe(escape);
  let directivesDone = false;

  /** The engine's trimContinuationCharacter: [content, endOfLine]. */
  const trimContinuation = (line: string): [string, boolean] => {
    if (!contRe.test(line)) return [line, true];
    return [line.replace(contRe, '$1'), false];
  };

  const directive = (token: string, lineNo: number, lineStart: number): void => {
    if (directivesDone) return;
    if (!token.startsWith('#')) {
      directivesDone = true;
      return;
    }
    const m = DIRECTIVE_RE.exec(token.slice(1).replace(LEADING_SPACE, ''));
    const name = m?.[1]!.toLowerCase();
    if (!m || !name || !known.has(name)) {
      directivesDone = true;
      return;
    }
    if (directives.some((d) => d.name === name)) {
      problems.push({ line: lineNo, start: lineStart, message: `only one ${name} parser directive can be used` });
      return;
    }
    const value = m[2]!;
    if (name === 'escape') {
      if (value !== '\\' && value !== '`') {
        problems.push({ line: lineNo, start: lineStart, message: `invalid escape token '${value}' does not match \` or \\` });
        return;
      }
      escape = value;
      contRe = continuationRe(escape);
    }
    directives.push({ name, value, line: lineNo, start: lineStart });
  };

  let i = 0;
  while (i < lines.length) {
    const first = lines[i]!;
    const startLine = i;
    const token = first.text.replace(LEADING_SPACE, '');
    directive(token, i, first.start);
    i++;
    let [content, endOfLine] = trimContinuation(isComment(token) ? '' : token);
    if (endOfLine && content === '') continue;
    const start = first.start + (first.text.length - token.length);
    let end = start + token.replace(/\s+$/, '').length;
    let emptyContinuation = false;
    let line = content;
    while (!endOfLine && i < lines.length) {
      const next = lines[i]!;
      i++;
      if (isComment(next.text)) continue;
      if (next.text.replace(LEADING_SPACE, '') === '') {
        emptyContinuation = true;
        continue;
      }
      [content, endOfLine] = trimContinuation(next.text);
      line += content;
      end = next.start + next.text.replace(/\s+$/, '').length;
    }
    const keywordMatch = /^(\S+)(?:[\t\v\f\r ]+([\s\S]*))?$/.exec(line.trim());
    const keyword = (keywordMatch?.[1] ?? '').toUpperCase();
    const { flags, rest } = splitFlags(keywordMatch?.[2] ?? '');
    const heredocs: string[] = [];
    const latentHeredocs: string[] = [];
    let endLine = i - 1;
    const openers = line.includes('<<') ? heredocOpeners(keyword, rest, line, escape) : [];
    if (!dialect.heredocs) {
      for (const h of openers) if (lines.slice(i).some((l) => (h.chomp ? l.text.replace(/^\t+/, '') : l.text) === h.name)) latentHeredocs.push(h.name);
    }
    for (const h of dialect.heredocs ? openers : []) {
      heredocs.push(h.name);
      let terminated = false;
      while (i < lines.length) {
        const body = lines[i]!;
        i++;
        if ((h.chomp ? body.text.replace(/^\t+/, '') : body.text) === h.name) {
          terminated = true;
          end = body.start + body.text.length;
          break;
        }
      }
      if (!terminated) {
        problems.push({ line: startLine, start: first.start, message: 'unterminated heredoc' });
        end = text.length;
      }
      endLine = i - 1;
    }
    instructions.push({ start, end, startLine, endLine, line, keyword, flags, heredocs, latentHeredocs, emptyContinuation });
  }
  return { escapeChar: escape, directives, instructions, problems };
}
