/**
 * Word expansion as the Dockerfile frontend does it for `FROM` and `ARG` values
 * (moby/buildkit `frontend/dockerfile/shell/lex.go`, `ProcessWordWithMap`): quotes are removed,
 * the escape character makes the next character literal, and `$NAME`, `${NAME}`,
 * `${NAME:-word}`, `${NAME-word}`, `${NAME:+word}`, `${NAME+word}`, `${NAME:?msg}`,
 * `${NAME?msg}` are expanded from a map of variables.
 *
 * dockerfile-ast parses the instructions but does not expand words against the meta `ARG`s
 * with build-arg overrides and modifiers, so this small lexer does exactly that and nothing else.
 * Unlike the engine, a variable without a value is not silently replaced by "": it is reported
 * in `missing`, so callers can show the result as unresolved instead of guessing.
 */

/** Variables in scope: a string value, or undefined when declared without a value (unset). */
export type VariableMap = ReadonlyMap<string, string | undefined>;

/** Result of {@link expandWord}. */
export interface ExpandedWord {
  /** The expanded text (missing variables contribute nothing). */
  value: string;
  /** Names referenced with no value and no default that applies; empty when fully resolved. */
  missing: string[];
  /** Messages of `${NAME?msg}` / `${NAME:?msg}` whose variable had no value. */
  errors: string[];
}

const NAME_CHAR = /[A-Za-z0-9_]/;

class Lexer {
  private pos = 0;
  readonly missing: string[] = [];
  readonly errors: string[] = [];

  constructor(
    private readonly text: string,
    private readonly vars: VariableMap,
    private readonly escape: string,
  ) {}

  private peek(): string | undefined {
    return this.text[this.pos];
  }

  /** Process until `stop` (not consumed) or the end. */
  word(stop?: string): string {
    let out = '';
    while (this.pos < this.text.length) {
      const ch = this.text[this.pos]!;
      if (stop !== undefined && ch === stop) break;
      if (ch === this.escape) {
        this.pos++;
        if (this.pos < this.text.length) out += this.text[this.pos++];
        continue;
      }
      if (ch === "'") {
        this.pos++;
        const end = this.text.indexOf("'", this.pos);
        const stopAt = end === -1 ? this.text.length : end;
        out += this.text.slice(this.pos, stopAt);
        this.pos = stopAt + 1;
        continue;
      }
      if (ch === '"') {
        this.pos++;
        out += this.doubleQuoted();
        continue;
      }
      if (ch === '$') {
        this.pos++;
        out += this.dollar();
        continue;
      }
      out += ch;
      this.pos++;
    }
    return out;
  }

  private doubleQuoted(): string {
    let out = '';
    while (this.pos < this.text.length) {
      const ch = this.text[this.pos]!;
      if (ch === '"') {
        this.pos++;
        return out;
      }
      if (ch === this.escape) {
        const next = this.text[this.pos + 1];
        if (next === '"' || next === '$' || next === this.escape) {
          out += next;
          this.pos += 2;
          continue;
        }
      }
      if (ch === '$') {
        this.pos++;
        out += this.dollar();
        continue;
      }
      out += ch;
      this.pos++;
    }
    return out;
  }

  private lookup(name: string): string | undefined {
    return this.vars.get(name);
  }

  private dollar(): string {
    const ch = this.peek();
    if (ch === '{') {
      this.pos++;
      let name = '';
      while (this.pos < this.text.length && NAME_CHAR.test(this.text[this.pos]!)) name += this.text[this.pos++];
      if (name.length === 0) {
        this.errors.push('bad substitution: empty variable name');
        this.word('}');
        this.pos++;
        return '';
      }
      let op = this.peek();
      if (op === '}') {
        this.pos++;
        return this.value(name);
      }
      let colon = false;
      if (op === ':') {
        colon = true;
        this.pos++;
        op = this.peek();
      }
      if (op === '-' || op === '+' || op === '?') {
        this.pos++;
        // The word is expanded lazily in the engine; expanding it eagerly here would report
        // variables of an unused default as missing, so expand it in a child lexer only when used.
        const start = this.pos;
        const skip = new Lexer(this.text, new Map(), this.escape);
        skip.pos = start;
        skip.word('}');
        const end = skip.pos;
        this.pos = end + 1;
        const raw = this.text.slice(start, end);
        const value = this.lookup(name);
        const set = value !== undefined && (!colon || value !== '');
        if (op === '-') return set ? value! : this.sub(raw);
        if (op === '+') return set ? this.sub(raw) : '';
        if (!set) this.errors.push(`${name}: ${this.sub(raw) || 'is not set'}`);
        return set ? value! : '';
      }
      this.errors.push(`bad substitution: unsupported modifier after \${${name}`);
      this.word('}');
      this.pos++;
      return '';
    }
    let name = '';
    while (this.pos < this.text.length && NAME_CHAR.test(this.text[this.pos]!)) name += this.text[this.pos++];
    if (name.length === 0) return '$';
    return this.value(name);
  }

  private sub(raw: string): string {
    const child = new Lexer(raw, this.vars, this.escape);
    const v = child.word();
    this.missing.push(...child.missing);
    this.errors.push(...child.errors);
    return v;
  }

  private value(name: string): string {
    const v = this.lookup(name);
    if (v === undefined) {
      if (!this.missing.includes(name)) this.missing.push(name);
      return '';
    }
    return v;
  }
}

/**
 * Expand one word (quotes removed, escapes applied, variables substituted).
 * @param text the word as written, e.g. `${IMG}:${TAG:-1}`.
 * @param vars variables in scope (undefined value = declared but unset).
 * @param escapeChar the Dockerfile's escape character ("\\" or "`").
 */
export function expandWord(text: string, vars: VariableMap, escapeChar = '\\'): ExpandedWord {
  const lx = new Lexer(text, vars, escapeChar);
  const value = lx.word();
  return { value, missing: lx.missing, errors: lx.errors };
}

/**
 * Split instruction arguments into words on unquoted, unescaped whitespace, keeping quotes and
 * escapes in each word (they are handled by {@link expandWord}). Used for `ARG a=1 b="x y"`.
 */
export function splitWords(text: string, escapeChar = '\\'): string[] {
  const words: string[] = [];
  let cur = '';
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === escapeChar && quote !== "'" && i + 1 < text.length) {
      cur += ch + text[++i];
      continue;
    }
    if (quote) {
      if (ch === quote) quote = undefined;
      cur += ch;
      continue;
    }
    if (ch === '"' || ch === "'") {
      quote = ch;
      cur += ch;
      continue;
    }
    if (/\s/.test(ch)) {
      if (cur.length > 0) words.push(cur);
      cur = '';
      continue;
    }
    cur += ch;
  }
  if (cur.length > 0) words.push(cur);
  return words;
}
