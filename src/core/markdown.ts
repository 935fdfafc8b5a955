/**
 * Markdown escaping for engine strings (tags, labels, commands, messages: attacker-controlled)
 * in every Markdown the project writes: the transaction and layer reports, the overhead report's
 * "Copy as Markdown". Escapes only what Markdown (CommonMark + GFM tables/strikethrough) would
 * interpret, so the Markdown source stays readable: `3.7×`, `(nc -e cat)` and `APP_HOME` are left
 * alone, `<img src=x>` cannot become HTML, `|` cannot split a table cell, `*` cannot emphasise.
 */

/**
 * Escape `text` for inline Markdown (a paragraph, a list item or a table cell).
 * - always: `\` `` ` `` `*` `[` `]` `<` `>` `|` `~` (code, emphasis, links/images, HTML and
 *   autolinks, table cells, strikethrough);
 * - `_` only where it could open or close emphasis (not between two letters or digits);
 * - `&` only where it would start an entity (`&amp;`, `&#60;`);
 * - at the start of the text, what would start a block: a heading (`# `), a list item (`- `,
 *   `+ `, `1. `, `1) `) or a setext underline / thematic break (`===`, `---`);
 * - line breaks become spaces.
 * Backslash escapes of ASCII punctuation are CommonMark §2.4, so every renderer shows the
 * character itself.
 */
export function escapeMarkdown(text: string): string {
  let out = text
    .replace(/\r\n|\r|\n/g, ' ')
    .replace(/[\\`*[\]<>|~]/g, (c) => `\\${c}`)
    .replace(/&(?=#?[a-z0-9]+;)/gi, '\\&')
    .replace(/_/g, (c, i: number, s: string) => (/[\p{L}\p{N}]/u.test(s[i - 1] ?? '') && /[\p{L}\p{N}]/u.test(s[i + 1] ?? '') ? c : `\\${c}`));
  out = out
    .replace(/^(\s*)(#{1,6}|[-+])(?=\s|$)/, '$1\\$2')
    .replace(/^(\s*\d{1,9})([.)])(?=\s|$)/, '$1\\$2')
    .replace(/^(\s*)([=-])(?=[=-]*\s*$)/, '$1\\$2');
  return out;
}

/**
 * A Markdown code span holding `text` literally (backticks inside are handled by a longer fence,
 * CommonMark §6.1). Line breaks become spaces. Empty text gives an empty string.
 */
export function codeSpan(text: string): string {
  const t = text.replace(/\r\n|\r|\n/g, ' ');
  if (!t) return '';
  let fence = '`';
  while (t.includes(fence)) fence += '`';
  const pad = t.startsWith('`') || t.endsWith('`') || /^ .* $/.test(t) ? ' ' : '';
  // `|` still splits a GFM table cell inside a code span; its escape is honoured there.
  return `${fence}${pad}${t.replace(/\|/g, '\\|')}${pad}${fence}`;
}
