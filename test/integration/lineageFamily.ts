/**
 * Builds a small image family on the real engine for the lineage tests and the fixture recorder.
 * Every image carries the label `io.container-lineage.test=lineage` and a unique suffix in its
 * tags, so parallel suites never collide; {@link removeFamily} removes only what was made here.
 *
 *   busybox:latest
 *   └─ base (3 tags, BuildKit: Parent empty)
 *      ├─ child (BuildKit)
 *      │  ├─ grand (BuildKit)                         rule: layer-prefix
 *      │  ├─ multistage (COPY --from a busybox stage)   rule: layer-prefix
 *      │  ├─ legacy (legacy builder; Parent = hidden intermediate)
 *      │  └─ committed (docker commit of a container)   rule: parent-field
 *      ├─ labelonly (LABEL + CMD only: same chain)        rule: same-layers-history
 *      │  └─ labeled (base.name label → labelonly)        rule: base-label
 *      ├─ envA / envB (ENV only: siblings by history)
 *      └─ dangle v1 (lost its tag to v2; has a container) / dangle v2
 *   orphan (FROM an imported base that is then deleted)  rule: base-not-present
 */
import Docker from 'dockerode';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { copyImages, removeImagesById } from './imageTransfer';

export const TEST_LABEL = 'io.container-lineage.test';

export interface Family {
  suffix: string;
  /** Tag (repo:tag) by role. */
  tags: Record<string, string>;
  /** Image ID by role. */
  ids: Record<string, string>;
  /** Container ID by role: created, exited, onDangling. */
  containers: Record<string, string>;
}

/** Drain a build/pull progress stream; rejects with the engine's error message. */
export async function followBuild(docker: Docker, stream: NodeJS.ReadableStream): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    docker.modem.followProgress(
      stream,
      (err: Error | null, output: Array<{ error?: string; errorDetail?: { message?: string } }>) => {
        const failed = output?.find((o) => o.error || o.errorDetail);
        if (err) reject(err);
        else if (failed) reject(new Error(failed.error ?? failed.errorDetail?.message));
        else resolve();
      },
    );
  });
}

/** Build `dockerfile` (plus extra files) as `tag`. `buildkit` selects API builder version 2. */
export async function buildImage(docker: Docker, tag: string, dockerfile: string, buildkit = true): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'cl-lineage-'));
  try {
    writeFileSync(join(dir, 'Dockerfile'), dockerfile);
    const opts: Record<string, unknown> = { t: tag, labels: { [TEST_LABEL]: 'lineage' }, rm: true, forcerm: true, networkmode: 'none' };
    if (buildkit) opts.version = '2';
    const stream = await docker.buildImage({ context: dir, src: ['Dockerfile'] }, opts);
    await followBuild(docker, stream);
    return (await docker.getImage(tag).inspect()).Id;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Build the family described in the file comment. Takes a few seconds. */
export async function buildFamily(docker: Docker, suffix = randomBytes(4).toString('hex')): Promise<Family> {
  try {
    return await buildFamilyUnsafe(docker, suffix);
  } catch (err) {
    await removeFamily(docker, suffix);
    throw err;
  }
}

async function buildFamilyUnsafe(docker: Docker, suffix: string): Promise<Family> {
  const t = (role: string) => `cl-lin-${role.toLowerCase()}-${suffix}:latest`;
  const tags: Record<string, string> = {};
  const ids: Record<string, string> = {};
  const containers: Record<string, string> = {};
  const build = async (role: string, dockerfile: string, buildkit = true) => {
    tags[role] = t(role);
    ids[role] = await buildImage(docker, tags[role], dockerfile, buildkit);
  };

  await build('base', `FROM busybox:latest\nRUN echo base-${suffix} > /base.txt\n`);
  await docker.getImage(tags.base).tag({ repo: `cl-lin-base-${suffix}`, tag: 'v1' });
  await docker.getImage(tags.base).tag({ repo: `cl-lin-alias-${suffix}`, tag: 'stable' });
  tags.baseV1 = `cl-lin-base-${suffix}:v1`;
  tags.baseAlias = `cl-lin-alias-${suffix}:stable`;
  await build('child', `FROM ${tags.base}\nRUN echo child > /child.txt\n`);
  await build('grand', `FROM ${tags.child}\nRUN echo grand > /grand.txt\n`);
  await build('multistage', `FROM busybox:latest AS build\nRUN echo ms-${suffix} > /ms.txt\nFROM ${tags.child}\nCOPY --from=build /ms.txt /ms.txt\n`);
  await build('legacy', `FROM ${tags.child}\nRUN echo legacy > /legacy.txt\nCMD ["sh"]\n`, false);
  await build('labelonly', `FROM ${tags.base}\nLABEL io.container-lineage.role=labelonly\nCMD ["sh", "-c", "echo labelonly"]\n`);
  await build('labeled', `FROM ${tags.base}\nLABEL org.opencontainers.image.base.name=${tags.labelonly}\n`);
  await build('envA', `FROM ${tags.base}\nENV FLAVOUR=a\n`);
  await build('envB', `FROM ${tags.base}\nENV FLAVOUR=b\n`);

  // A container created from dangle v1, then the tag moves to v2: v1 becomes dangling.
  tags.dangle = t('dangle');
  ids.dangleOld = await buildImage(docker, tags.dangle, `FROM ${tags.base}\nRUN echo v1 > /v.txt\n`);
  const onDangling = await docker.createContainer({ Image: tags.dangle, Cmd: ['true'], name: `cl-lin-ondangling-${suffix}`, Labels: { [TEST_LABEL]: 'lineage' }, HostConfig: { NetworkMode: 'none' } });
  containers.onDangling = onDangling.id;
  ids.dangle = await buildImage(docker, tags.dangle, `FROM ${tags.base}\nRUN echo v2 > /v.txt\n`);

  // docker commit of a customised container: Parent = child.
  const work = await docker.createContainer({ Image: tags.child, Cmd: ['sh', '-c', 'echo customised > /custom.txt'], name: `cl-lin-work-${suffix}`, Labels: { [TEST_LABEL]: 'lineage' }, HostConfig: { NetworkMode: 'none' } });
  await work.start();
  await work.wait();
  await work.commit({ repo: `cl-lin-committed-${suffix}`, tag: 'latest', comment: 'customised', changes: `LABEL ${TEST_LABEL}=lineage` });
  tags.committed = t('committed');
  ids.committed = (await docker.getImage(tags.committed).inspect()).Id;
  containers.exited = work.id;

  const created = await docker.createContainer({ Image: tags.grand, Cmd: ['true'], name: `cl-lin-created-${suffix}`, Labels: { [TEST_LABEL]: 'lineage' }, HostConfig: { NetworkMode: 'none' } });
  containers.created = created.id;

  // An image whose base is not present: import a base, build on it, remove the base.
  const tmp = await docker.createContainer({ Image: 'busybox:latest', Cmd: ['true'], Labels: { [TEST_LABEL]: 'lineage' }, HostConfig: { NetworkMode: 'none' } });
  try {
    const exported = await tmp.export();
    const importStream = await docker.importImage(exported as unknown as NodeJS.ReadableStream, { repo: `cl-lin-tmpbase-${suffix}`, tag: 'latest' });
    await followBuild(docker, importStream);
  } finally {
    await tmp.remove({ force: true });
  }
  const tmpBase = `cl-lin-tmpbase-${suffix}:latest`;
  await build('orphan', `FROM ${tmpBase}\nRUN echo orphan > /orphan.txt\n`);
  await docker.getImage(tmpBase).remove();
  return { suffix, tags, ids, containers };
}

/** Remove the family's containers then images (children first). Never touches anything else. */
export async function removeFamily(docker: Docker, suffix: string): Promise<void> {
  const cs = await docker.listContainers({ all: true, filters: { label: [`${TEST_LABEL}=lineage`] } });
  for (const c of cs) {
    if (c.Names.some((n) => n.includes(suffix))) await docker.getContainer(c.Id).remove({ force: true }).catch(() => undefined);
  }
  // Repeat: removing a child can free its parent; dangling members are found by label + history.
  for (let round = 0; round < 6; round++) {
    const images = await docker.listImages({ all: true, filters: { label: [`${TEST_LABEL}=lineage`] } });
    const mine = images.filter((i) => (i.RepoTags ?? []).some((t) => t.includes(suffix)) || isUntagged(i));
    if (mine.length === 0) return;
    let progress = false;
    for (const image of mine) {
      if (isUntagged(image) && !(await belongsTo(docker, image.Id, suffix))) continue;
      try {
        await docker.getImage(image.Id).remove({ force: true });
        progress = true;
      } catch {
        /* still has children; next round */
      }
    }
    if (!progress) return;
  }
}

function isUntagged(i: Docker.ImageInfo): boolean {
  return !i.RepoTags || i.RepoTags.length === 0 || i.RepoTags.every((t) => t === '<none>:<none>');
}

/** An untagged image belongs to this family when its history mentions the suffix. */
async function belongsTo(docker: Docker, id: string, suffix: string): Promise<boolean> {
  try {
    const history = await docker.getImage(id).history();
    return history.some((h: { CreatedBy?: string }) => (h.CreatedBy ?? '').includes(suffix));
  } catch {
    return false;
  }
}

/**
 * Copy a family built on Docker to another engine (Podman) and give it containers there: the same
 * image IDs (tags as the engine names them, the dangling image untagged), a created container on
 * `grand` and one on the dangling `dangleOld`. The containers are only created: Podman cannot
 * start one in this sandbox, so there is no exited container and no commit on that side.
 * @returns the family as seen on `to` (same tags and IDs, its own container IDs).
 */
export async function copyFamily(from: Docker, to: Docker, family: Family): Promise<Family> {
  const refs = [...new Set(Object.values(family.tags).filter((t) => !t.includes('-tmpbase-')))];
  await copyImages(from, to, [...refs, family.ids.dangleOld]);
  const create = async (role: string, image: string) =>
    (await to.createContainer({ Image: image, Cmd: ['true'], name: `cl-lin-${role}-${family.suffix}`, Labels: { [TEST_LABEL]: 'lineage' }, HostConfig: { NetworkMode: 'none' } })).id;
  const containers = { created: await create('created', family.tags.grand), onDangling: await create('ondangling', family.ids.dangleOld) };
  return { ...family, containers };
}

/** Remove what {@link copyFamily} made on `to`: its containers, then the family's images by ID. */
export async function removeFamilyCopy(to: Docker, family: Family): Promise<void> {
  const cs = await to.listContainers({ all: true, filters: { label: [`${TEST_LABEL}=lineage`] } });
  for (const c of cs) if (c.Names.some((n) => n.includes(family.suffix))) await to.getContainer(c.Id).remove({ force: true }).catch(() => undefined);
  await removeImagesById(to, Object.values(family.ids));
}
