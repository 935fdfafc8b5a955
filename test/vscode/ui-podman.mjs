// The podman scenario of the VS Code level (scripts/test-vscode.mjs): its fixtures on the
// private Podman of scripts/podman.sh, and the proof of the sample family on it (issue 11).
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as h from './harness.mjs';
import { ARTIFACTS, SAMPLE, TEST_LABEL, docker, pane } from './ui.mjs';
import { sampleChainWithInstance } from './ui-lineage.mjs';

/**
 * Before the podman scenario: the private Podman (scripts/podman.sh: installed, started, the
 * Docker engine's base and sample images copied in), and on it a created, never started
 * container of the grandchild and an image with three tags (imported from a one-file tar), both
 * unique and labelled io.container-lineage.test=vscode-ui. Podman cannot start containers here.
 * @returns {{ env: Record<string, string>, containerName: string, multi: string, cleanup: () => void }}
 */
export function podmanSetup() {
  const out = execFileSync('bash', [path.join(h.root, 'scripts/podman.sh'), '--quiet'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const host = /^podman: ready at (unix:\/\/\S+?):/m.exec(out)?.[1];
  if (!host) throw new Error(`scripts/podman.sh printed no ready line: ${out}`);
  const pd = (...args) => docker('--host', host, ...args);
  const hex = randomBytes(4).toString('hex');
  const containerName = `cl-ui-podman-${hex}`;
  const multi = `cl-ui-podman/multi-${hex}`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cl-ui-podman-'));
  try {
    fs.writeFileSync(path.join(dir, 'hello.txt'), `podman scenario ${hex}\n`);
    execFileSync('tar', ['-C', dir, '-cf', path.join(dir, 'root.tar'), 'hello.txt']);
    pd('import', '--change', `LABEL ${TEST_LABEL}`, path.join(dir, 'root.tar'), `${multi}:1`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  pd('tag', `${multi}:1`, `${multi}:2`);
  pd('tag', `${multi}:1`, `${multi}:3`);
  pd('create', '--name', containerName, '--label', TEST_LABEL, '--network', 'none', SAMPLE.grandchild, 'sleep', '600');
  let removed = false; // the last UI check removes the container itself
  console.log(`  Podman at ${host}: created container ${containerName} (${SAMPLE.grandchild}), image ${multi}:1 with tags :2 and :3`);
  return {
    env: { DOCKER_HOST: host, CL_PODMAN_CONTAINER: containerName, CL_PODMAN_MULTI: multi },
    containerName,
    multi,
    removeContainer: () => {
      pd('rm', '--force', containerName);
      removed = true;
    },
    cleanup: () => {
      for (const args of [...(removed ? [] : [['rm', '--force', containerName]]), ['rmi', `${multi}:1`, `${multi}:2`, `${multi}:3`]]) {
        try {
          pd(...args);
        } catch (err) {
          console.log(`  could not ${args[0]} on Podman: ${err.message}`);
        }
      }
    },
  };
}

/** Issue 11 on Podman: the sample family under busybox:latest as typed, the container under its image, the three-tag image marked +2, no localhost/ prefix (podman-images.png). */
export async function podmanImagesUi(page, fixture) {
  const images = pane(page, 'Images');
  const instance = await sampleChainWithInstance(page, images, fixture.containerName);
  const multi = await h.treeRow(page, images, `${fixture.multi}:1`);
  if (!/\+2 · /.test(await multi.innerText())) throw new Error(`the three-tag image does not say +2: ${JSON.stringify(await multi.innerText())}`);
  const localhost = await images.locator('.monaco-list-row[aria-label^="localhost/"]').count();
  if (localhost) throw new Error(`${localhost} row(s) show the localhost/ prefix`);
  await (await h.treeRow(page, images, 'busybox:latest')).scrollIntoViewIfNeeded();
  await instance.hover();
  await page.screenshot({ path: path.join(ARTIFACTS, 'podman-images.png') });
}
