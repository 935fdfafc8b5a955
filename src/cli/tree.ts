/**
 * `container-lineage tree [--json] [--all] [--no-containers] [--cache-dir DIR]`: print the image lineage forest
 * (same core code as the Images view), like `dockviz images --tree`: each image with its tags,
 * unique size / total size, age and the rule that chose its parent, its containers beneath it.
 * `--all` includes dangling images; `--json` prints the forest as JSON (sizes in bytes, times ISO).
 * `--cache-dir DIR` keeps inspect/history results in DIR (store/imageCacheStore, the format the
 * extension keeps in its global storage), so a second run on known images lists only.
 * Exit codes: 0 ok, 1 no engine (the attempts are listed), 2 bad usage.
 */
import { bestTag, buildLineage, shortId, type ContainerRecord, type LineageForest, type LineageNode } from '../core/lineage';
import { formatAge, formatBytes } from '../core/format';
import { RULE_WORDS } from '../core/ruleWords';
import { connectCli } from './connect';
import { dialectOf } from '../core/dialect';
import { ImageCatalog, listContainers } from '../engine/images';
import { imageCacheKey } from '../engine/lineageSource';
import { ImageCacheStore } from '../store/imageCacheStore';

const USAGE = `usage: container-lineage tree [--json] [--all] [--no-containers] [--cache-dir DIR]
  Prints local images as a parent/child tree (base → derived) with their containers.
  --all             include dangling (untagged) images
  --json            machine-readable output (sizes in bytes)
  --no-containers   do not list containers under their images
  --cache-dir DIR   keep image inspect/history results in DIR across runs (e.g. the
                    extension's globalStorage/image-cache folder)
`;

/** JSON shape of one image node in `--json` output. */
export interface TreeJsonNode {
  id: string;
  /** Tags as the engine lists them (Podman: `localhost/…`, `docker.io/…`). */
  tags: string[];
  /** The same tags as a user types them where unambiguous on that engine (core/reference). */
  names: string[];
  digests: string[];
  dangling: boolean;
  /** Bytes, all layers. */
  size: number;
  /** Bytes this image adds over its parent (see core/lineage). */
  uniqueSize: number;
  created: string | null;
  layers: number;
  rule: string;
  ruleDetail?: string;
  containers: Array<{ id: string; name: string; state: string; status: string }>;
  children: TreeJsonNode[];
}

function containerJson(c: ContainerRecord) {
  return { id: c.id, name: c.names[0] ?? '', state: c.state, status: c.status };
}

/** The forest as JSON-ready data. */
export function forestToJson(forest: LineageForest, withContainers = true): { images: TreeJsonNode[]; orphanContainers: ReturnType<typeof containerJson>[] } {
  const toJson = (n: LineageNode): TreeJsonNode => ({
    id: n.image.id,
    tags: n.image.repoTags,
    names: n.image.names ?? n.image.repoTags,
    digests: n.image.repoDigests,
    dangling: n.dangling,
    size: n.image.size,
    uniqueSize: n.uniqueSize,
    created: Number.isFinite(n.image.created) ? new Date(n.image.created).toISOString() : null,
    layers: n.image.layers.length,
    rule: n.rule,
    ...(n.ruleDetail ? { ruleDetail: n.ruleDetail } : {}),
    containers: withContainers ? n.containers.map(containerJson) : [],
    children: n.children.map(toJson),
  });
  return { images: forest.roots.map(toJson), orphanContainers: withContainers ? forest.orphanContainers.map(containerJson) : [] };
}

/** The forest as text lines (box-drawing tree). */
export function forestToText(forest: LineageForest, withContainers = true, now = Date.now()): string[] {
  const lines: string[] = [];
  const visit = (n: LineageNode, prefix: string, last: boolean, root: boolean) => {
    const branch = root ? '' : last ? '└─ ' : '├─ ';
    const others = (n.image.names ?? n.image.repoTags).filter((t) => t !== bestTag(n.image));
    const rule = n.rule === 'root' ? '' : `  [${RULE_WORDS[n.rule]}]`;
    lines.push(
      `${prefix}${branch}${bestTag(n.image)}${others.length ? ` (also ${others.join(', ')})` : ''}  ${shortId(n.image.id)}  ${formatBytes(n.uniqueSize)} / ${formatBytes(n.image.size)}  ${formatAge(n.image.created, now)}${n.dangling ? '  dangling' : ''}${rule}`,
    );
    const childPrefix = root ? '' : prefix + (last ? '   ' : '│  ');
    const kids: Array<LineageNode | ContainerRecord> = [...n.children, ...(withContainers ? n.containers : [])];
    kids.forEach((k, i) => {
      const isLast = i === kids.length - 1;
      if ('children' in k) visit(k, childPrefix, isLast, false);
      else lines.push(`${childPrefix}${isLast ? '└─ ' : '├─ '}● ${k.names[0] ?? shortId(k.id)}  ${shortId(k.id)}  ${k.state}  ${k.status}`);
    });
  };
  forest.roots.forEach((r, i) => visit(r, '', i === forest.roots.length - 1, true));
  if (withContainers && forest.orphanContainers.length) {
    lines.push('(containers whose image is not shown)');
    for (const c of forest.orphanContainers) lines.push(`└─ ● ${c.names[0] ?? shortId(c.id)}  ${shortId(c.id)}  ${c.state}  image ${shortId(c.imageId)} (${c.image})`);
  }
  return lines;
}

/** Entry point of `container-lineage tree`. Returns the exit code. */
export async function run(args: string[]): Promise<number> {
  const known = new Set(['--json', '--all', '--no-containers', '--help', '-h']);
  let cacheDir: string | undefined;
  const at = args.indexOf('--cache-dir');
  if (at >= 0) {
    cacheDir = args[at + 1];
    if (!cacheDir || cacheDir.startsWith('--')) {
      process.stderr.write(`container-lineage tree: --cache-dir needs a folder\n${USAGE}`);
      return 2;
    }
    args = [...args.slice(0, at), ...args.slice(at + 2)];
  }
  const bad = args.filter((a) => !known.has(a));
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (bad.length) {
    process.stderr.write(`container-lineage tree: unknown option ${bad.join(' ')}\n${USAGE}`);
    return 2;
  }
  const engine = await connectCli('tree');
  if (!engine) return 1;
  try {
    const docker = engine.docker();
    const state = engine.state;
    const dialect = dialectOf(state.kind === 'connected' ? state.info.kind : undefined);
    const persistence = cacheDir && state.kind === 'connected' ? ImageCacheStore.forEngine(cacheDir, imageCacheKey(state), { warn: (m) => process.stderr.write(`container-lineage tree: ${m}\n`) }) : undefined;
    const catalog = new ImageCatalog({ persistence, warn: (m) => process.stderr.write(`container-lineage tree: ${m}\n`) });
    const [images, containers] = await Promise.all([catalog.listImages(docker, dialect), listContainers(docker)]);
    await catalog.saved();
    const withContainers = !args.includes('--no-containers');
    const forest = buildLineage(images, containers, { hideDangling: !args.includes('--all'), names: dialect.names });
    if (args.includes('--json')) process.stdout.write(JSON.stringify(forestToJson(forest, withContainers), null, 2) + '\n');
    else process.stdout.write(forestToText(forest, withContainers).join('\n') + '\n');
    return 0;
  } finally {
    engine.dispose();
  }
}
