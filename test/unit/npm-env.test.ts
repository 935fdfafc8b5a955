/**
 * scripts/lib/npm-env.sh: a script started by `npm run` (npm test, npm run demo, npm run bench)
 * must start its nested npm/node installs with the environment a plain shell has. Checked through
 * a real `npm run` of a throwaway package, so the variables are the ones the machine's npm sets.
 */
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const LIB = resolve(__dirname, '../../scripts/lib/npm-env.sh');
const OUR_SCRIPTS = ['test', 'demo', 'bench', 'code-server'];

/** Runs `npm run --silent probe` in a temp package whose script prints the environment as JSON. */
function envUnderNpm(sourceLib: boolean): { env: Record<string, string>; npmUserAgent: string } {
  const dir = mkdtempSync(join(tmpdir(), 'cl-npm-env-'));
  try {
    const print = `node -e 'process.stdout.write(JSON.stringify(process.env))'`;
    const script = sourceLib ? `bash -c 'source ${LIB} && ${print.replace(/'/g, `'\\''`)}'` : print;
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'cl-npm-env-probe', private: true, scripts: { probe: script } }));
    const out = execFileSync('npm', ['run', '--silent', 'probe'], { cwd: dir, encoding: 'utf8', env: { ...process.env, npm_config_nodedir: '/outer/node20' } });
    const env = JSON.parse(out) as Record<string, string>;
    return { env, npmUserAgent: env.npm_config_user_agent ?? '' };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const npmNames = (env: Record<string, string>) => Object.keys(env).filter((k) => /^npm_/i.test(k) || k === 'INIT_CWD');

describe('scripts/lib/npm-env.sh (nested npm runs with a clean environment)', function () {
  this.timeout(60_000);

  it('without it, a script under `npm run` inherits the outer npm configuration (what broke code-server)', () => {
    const { env, npmUserAgent } = envUnderNpm(false);
    assert.match(npmUserAgent, /node\/v\d+/, 'npm names the outer node in npm_config_user_agent');
    assert.equal(env.npm_config_nodedir, '/outer/node20');
    assert.ok(npmNames(env).some((k) => k.startsWith('npm_lifecycle_')));
    assert.ok(env.PATH!.split(':').some((p) => p.endsWith('/node_modules/.bin')));
  });

  it('with it, no npm_* variable, INIT_CWD, npm NODE or npm PATH entry is left', () => {
    const { env } = envUnderNpm(true);
    assert.deepEqual(npmNames(env), []);
    assert.equal(env.NODE, undefined);
    const path = env.PATH!.split(':');
    assert.ok(!path.some((p) => p.endsWith('/node_modules/.bin') || p.endsWith('/node-gyp-bin')), env.PATH);
    assert.ok(path.length > 0 && env.HOME, 'the rest of the environment stays');
  });

  it('every script that npm starts sources it before calling npm', () => {
    for (const name of OUR_SCRIPTS) {
      const text = execFileSync('cat', [resolve(__dirname, `../../scripts/${name}.sh`)], { encoding: 'utf8' });
      const sourced = text.indexOf('lib/npm-env.sh"');
      const firstNpm = text.search(/^\s*[^#\n]*\bnpm (ci|install|run)\b/m);
      assert.ok(sourced > 0, `scripts/${name}.sh does not source lib/npm-env.sh`);
      assert.ok(firstNpm === -1 || sourced < firstNpm, `scripts/${name}.sh calls npm before cleaning the environment`);
    }
  });
});
