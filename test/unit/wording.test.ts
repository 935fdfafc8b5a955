/**
 * Issue 15, items 6, 11, 12: one size formatter, plurals, durations that stay true (status
 * clock), Markdown escaping of only what Markdown needs, parent rules in words.
 */
import assert from 'node:assert/strict';
import { countList, formatAge, formatAgeToTheMinute, msUntilMinuteAgeChanges, formatBytes, humanDuration, humanDurationLowerBound, msUntilDurationChanges, plural } from '../../src/core/format';
import { codeSpan, escapeMarkdown } from '../../src/core/markdown';
import { parseTimedStatus, StatusClock } from '../../src/core/statusClock';
import { RULE_WORDS, ruleTooltip } from '../../src/core/ruleWords';
import { RULE_DESCRIPTIONS, type ParentRule } from '../../src/core/lineage';

describe('one size formatter', () => {
  it('decimal units, 3 significant digits, a space: the tree and the pickers agree', () => {
    // 117 MB in the tree and "111.3 MB" (MiB) in a picker were the same bytes.
    assert.equal(formatBytes(116_700_000), '117 MB');
    assert.equal(formatBytes(1_990_000), '1.99 MB');
    assert.equal(formatBytes(4_261_000), '4.26 MB');
    assert.equal(formatBytes(999_950), '1 MB', 'no "1000 kB"');
    assert.equal(formatBytes(512), '512 B');
    assert.equal(formatBytes(NaN), '?');
  });
});

describe('plurals', () => {
  it('singular for exactly one, plural otherwise', () => {
    assert.equal(plural(1, 'image'), '1 image');
    assert.equal(plural(0, 'image'), '0 images');
    assert.equal(plural(3, 'child image'), '3 child images');
    assert.equal(plural(2, 'history entry', 'history entries'), '2 history entries');
  });
  it('counts in words leave zero counts out ("and 0 Containers" never appears)', () => {
    assert.equal(countList([[4, 'image'], [0, 'container']]), '4 images');
    assert.equal(countList([[1, 'image'], [2, 'container']]), '1 image and 2 containers');
    assert.equal(countList([[0, 'image']], 'nothing'), 'nothing');
    assert.equal(countList([[1, 'a'], [1, 'b'], [2, 'c']]), '1 a, 1 b and 2 cs');
  });
  it('durations say "1 second", never "1 seconds"', () => {
    const now = Date.UTC(2026, 0, 10);
    assert.equal(formatAge(now - 1500, now), '1 second ago');
    assert.equal(formatAge(now - 1000, now), '1 second ago');
    assert.equal(humanDuration(59.9), '59 seconds');
    assert.equal(humanDuration(60), 'About a minute');
    assert.equal(humanDuration(3 * 60 + 5), '3 minutes');
    assert.equal(humanDuration(89 * 60), 'About an hour');
    assert.equal(humanDuration(90 * 60), '2 hours');
  });
});

describe('durations kept true without the engine', () => {
  it('lower bounds invert go-units HumanDuration', () => {
    for (const s of [0, 1, 2, 30, 59, 60, 61, 119, 120, 3599, 3600, 5399, 5400, 7200, 40 * 3600, 3 * 86400, 20 * 86400, 100 * 86400]) {
      const text = humanDuration(s);
      const low = humanDurationLowerBound(text)!;
      assert.ok(low <= s, `${text}: lower bound ${low} ≤ ${s}`);
      assert.equal(humanDuration(low), text, `${text} starts at ${low} s`);
    }
    assert.equal(humanDurationLowerBound('soon'), undefined);
  });
  it('the next change is the next boundary of the text', () => {
    assert.equal(msUntilDurationChanges(500), 500);
    assert.equal(msUntilDurationChanges(59_000), 1000);
    assert.equal(msUntilDurationChanges(60_500), 59_500);
    assert.equal(humanDuration((5400_000 - 1) / 1000), 'About an hour');
    assert.equal(msUntilDurationChanges(5000_000), 400_000, 'hours change at the half hour');
  });
  it('image ages in the tree change at most once a minute', () => {
    const now = Date.UTC(2026, 0, 10);
    assert.equal(formatAgeToTheMinute(now - 5_000, now), 'Less than a minute ago');
    assert.equal(formatAgeToTheMinute(now - 65_000, now), 'About a minute ago');
    assert.equal(msUntilMinuteAgeChanges(5_000), 55_000);
    assert.equal(msUntilMinuteAgeChanges(65_000), 55_000);
  });
  it('parses Docker status texts around their duration', () => {
    assert.deepEqual(parseTimedStatus('Up Less than a second'), { prefix: 'Up ', duration: 'Less than a second', suffix: '', seconds: 0 });
    assert.equal(parseTimedStatus('Exited (137) 5 minutes ago')?.seconds, 300);
    assert.equal(parseTimedStatus('Up 2 hours (healthy)')?.suffix, ' (healthy)');
    assert.equal(parseTimedStatus('Up 3 seconds (Paused)')?.suffix, ' (Paused)');
    assert.equal(parseTimedStatus('Created'), undefined);
    assert.equal(parseTimedStatus('Removal In Progress'), undefined);
  });
  it('"Up Less than a second" becomes "Up About a minute" a minute later, from the cache', () => {
    const clock = new StatusClock();
    const t0 = Date.UTC(2026, 0, 10, 12);
    clock.observe('c1', 'Up Less than a second', t0);
    assert.equal(clock.render('c1', 'Up Less than a second', t0 + 500), 'Up Less than a second');
    assert.equal(clock.render('c1', 'Up Less than a second', t0 + 5_000), 'Up 5 seconds');
    assert.equal(clock.render('c1', 'Up Less than a second', t0 + 61_000), 'Up About a minute');
    assert.equal(clock.render('c1', 'Up Less than a second', t0 + 3 * 3600_000), 'Up 3 hours');
    assert.equal(clock.msUntilNextChange(t0 + 5_000), 1000);
  });
  it('keeps a finer earlier anchor while later lists agree; resets on a state change', () => {
    const clock = new StatusClock();
    const t0 = Date.UTC(2026, 0, 10, 12);
    clock.observe('c1', 'Up Less than a second', t0);
    // Listed again 3 min 40 s later: "Up 3 minutes" agrees with the first anchor, which is kept.
    clock.observe('c1', 'Up 3 minutes', t0 + 220_000);
    assert.equal(clock.render('c1', 'Up 3 minutes', t0 + 241_000), 'Up 4 minutes');
    clock.observe('c1', 'Exited (0) Less than a second ago', t0 + 300_000);
    assert.equal(clock.render('c1', 'Exited (0) Less than a second ago', t0 + 302_000), 'Exited (0) 2 seconds ago');
    assert.equal(clock.render('c1', 'Up 3 minutes', t0 + 302_000), 'Up 3 minutes', 'a text of another shape is shown as listed');
    clock.retain([]);
    assert.equal(clock.render('c1', 'Exited (0) Less than a second ago', t0 + 400_000), 'Exited (0) Less than a second ago');
    assert.equal(clock.msUntilNextChange(t0), undefined);
  });
});

describe('Markdown escaping: only what Markdown needs', () => {
  it('leaves ordinary punctuation alone (the Copy as Markdown complaint)', () => {
    assert.equal(escapeMarkdown('(nc -e cat)'), '(nc -e cat)');
    assert.equal(escapeMarkdown('3.7×'), '3.7×');
    assert.equal(escapeMarkdown('APP_HOME >> log'), 'APP_HOME \\>\\> log');
    assert.equal(escapeMarkdown('ratio 1.01 (95% CI 0.97–1.05)'), 'ratio 1.01 (95% CI 0.97–1.05)');
  });
  it('escapes what would become HTML, links, emphasis, code, table cells or a block', () => {
    assert.equal(escapeMarkdown('<img src=x onerror=alert(1)>'), '\\<img src=x onerror=alert(1)\\>');
    assert.equal(escapeMarkdown('[x](javascript:alert(1))'), '\\[x\\](javascript:alert(1))');
    assert.equal(escapeMarkdown('a|b'), 'a\\|b');
    assert.equal(escapeMarkdown('*bold* `code` ~~s~~'), '\\*bold\\* \\`code\\` \\~\\~s\\~\\~');
    assert.equal(escapeMarkdown('_em_ snake_case'), '\\_em\\_ snake_case');
    assert.equal(escapeMarkdown('&amp; & a'), '\\&amp; & a');
    assert.equal(escapeMarkdown('# title'), '\\# title');
    assert.equal(escapeMarkdown('- item'), '\\- item');
    assert.equal(escapeMarkdown('1. first'), '1\\. first');
    assert.equal(escapeMarkdown('---'), '\\---');
    assert.equal(escapeMarkdown('#tag -x'), '#tag -x');
    assert.equal(escapeMarkdown('a\\b'), 'a\\\\b');
    assert.equal(escapeMarkdown('two\nlines'), 'two lines');
  });
  it('code spans hold any text literally', () => {
    assert.equal(codeSpan('echo $APP_HOME >> /log'), '`echo $APP_HOME >> /log`');
    assert.equal(codeSpan('a `b` c'), '``a `b` c``');
    assert.equal(codeSpan('x | y'), '`x \\| y`');
    assert.equal(codeSpan(''), '');
  });
});

describe('parent rules in words', () => {
  it('every rule has words; the tooltip keeps the rule name as detail', () => {
    for (const rule of Object.keys(RULE_DESCRIPTIONS) as ParentRule[]) {
      assert.ok(RULE_WORDS[rule] && !RULE_WORDS[rule].includes(rule), `${rule}: ${RULE_WORDS[rule]}`);
    }
    const t = ruleTooltip({ rule: 'layer-prefix', ruleDetail: undefined });
    assert.ok(t.startsWith('built on its layers'), t);
    assert.match(t, /rule layer-prefix:/);
  });
});
