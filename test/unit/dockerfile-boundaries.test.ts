import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DockerfileParser } from 'dockerfile-ast';
import { parseDockerfile } from '../../src/core/dockerfile';
import { CURRENT_DIALECT, splitInstructions } from '../../src/core/dockerfileLines';
import { FRONTEND_1_2_DIALECT } from '../../src/core/frontend';

interface BoundaryCase {
  name: string;
  why: string;
  text: string;
  /** The engine's step list (classic builder's "Step N/M : <logical line>"). */
  steps: string[];
}

const CASES = (JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', 'dockerfiles', 'boundaries.json'), 'utf8')) as { cases: BoundaryCase[] }).cases;
/** The engine prints steps trimmed (a trailing form feed or space does not show). */
const norm = (s: string): string => s.trim();

describe('Dockerfile instruction boundaries agree with the engine (core/dockerfileLines, recorded from Docker Engine 20.10)', () => {
  for (const c of CASES) {
    it(`${c.name}: ${c.why}`, () => {
      const m = parseDockerfile(c.text, { dialect: FRONTEND_1_2_DIALECT });
      assert.deepEqual(m.instructions.map((i) => norm(i.line)), c.steps.map(norm));
      assert.deepEqual(
        m.stages.map((s) => s.fromLine),
        m.instructions.filter((i) => i.keyword === 'FROM').map((i) => i.range.start.line),
        'every FROM the engine sees is a stage with its lens line',
      );
    });
  }

  it('the cases where dockerfile-ast alone draws other boundaries than the engine are covered (the old model)', () => {
    const differs = CASES.filter((c) => {
      const ast = DockerfileParser.parse(c.text.replace(/^\uFEFF/, '')).getInstructions();
      return ast.length !== c.steps.length;
    }).map((c) => c.name);
    // joined by dockerfile-ast, apart in the engine: the escaped escape and the directive after trailing whitespace
    for (const name of ['escaped-escape-before-from', 'escaped-escape', 'three-escapes', 'directive-trailing-space']) assert.ok(differs.includes(name), `${name} ${differs.join(',')}`);
    // split by dockerfile-ast, joined in the engine
    for (const name of ['unknown-directive-ends-block', 'escape-only-line', 'escaped-space-then-escape', 'heredoc-words-on-frontend-1.2']) assert.ok(differs.includes(name), name);
    const lost = DockerfileParser.parse(CASES.find((c) => c.name === 'escaped-escape-before-from')!.text).getInstructions().filter((i) => i.getKeyword() === 'FROM');
    assert.equal(lost.length, 1, 'the old model lost the second stage');
  });

  it('ranges: the keyword where it starts, the last content line where it ends (CR, LF and CRLF end editor lines)', () => {
    const m = parseDockerfile('FROM busybox \\\n# c\n\n  AS build\nRUN echo a\rRUN echo b\r\n', { dialect: FRONTEND_1_2_DIALECT });
    assert.deepEqual(m.instructions.map((i) => [i.keyword, i.range.start, i.range.end]), [
      ['FROM', { line: 0, character: 0 }, { line: 3, character: 10 }],
      // a lone CR ends a line in the editor but not for the engine: one RUN across two editor lines
      ['RUN', { line: 4, character: 0 }, { line: 5, character: 10 }],
    ]);
  });

  it('flags and heredocs are part of the instruction model', () => {
    const text = 'FROM busybox\nRUN --mount=type=cache,target=/root/.cache --network=none echo hi\nCOPY --link --chmod=644 a /a\nRUN <<EOF\nFROM x\nEOF\nRUN ["sh", "-c", "cat <<EOF"]\n';
    const current = parseDockerfile(text);
    assert.deepEqual(current.instructions.map((i) => [i.keyword, i.flags.map((f) => f.name), i.heredocs]), [
      ['FROM', [], []],
      ['RUN', ['mount', 'network'], []],
      ['COPY', ['link', 'chmod'], []],
      ['RUN', [], ['EOF']],
      ['RUN', [], []],
    ]);
    assert.equal(current.instructions[1]!.flags[0]!.value, 'type=cache,target=/root/.cache');
    // Without heredocs (frontend 1.2) the body is instructions, and the opener is known as latent.
    const old = parseDockerfile(text, { dialect: FRONTEND_1_2_DIALECT });
    assert.deepEqual(old.instructions.map((i) => i.keyword), ['FROM', 'RUN', 'COPY', 'RUN', 'FROM', 'EOF', 'RUN']);
    assert.deepEqual(old.instructions[3]!.latentHeredocs, ['EOF']);
    assert.equal(old.stages.length, 2);
  });

  it('directive rules: one of each, escape must be \\ or `, check is a directive only for current frontends', () => {
    assert.deepEqual(splitInstructions('# escape=`\n# escape=\\\nFROM x\n').problems.map((p) => [p.line, p.message]), [[1, 'only one escape parser directive can be used']]);
    assert.match(splitInstructions('# escape=x\nFROM x\n').problems[0]!.message, /invalid escape token 'x'/);
    const text = '# check=skip=all\n# escape=`\nFROM x\nRUN a \\\nRUN b\n';
    assert.equal(splitInstructions(text, CURRENT_DIALECT).escapeChar, '`');
    assert.equal(splitInstructions(text, FRONTEND_1_2_DIALECT).escapeChar, '\\');
    assert.match(splitInstructions('FROM x\nRUN <<EOF\nnever ends\n').problems[0]!.message, /unterminated heredoc/);
  });
});
