/**
 * Engine dialects: what differs between Docker and Podman's Docker-compatible API, as data, and
 * the few pure functions that read it. No `vscode`, no dockerode.
 *
 * Sources: the Engine API reference (Docker) and Podman 4.x's compat handlers
 * (`pkg/api/handlers/compat`, `libpod/define/containerstate.go`, `libimage`), checked against
 * Debian's podman 4.3.1 and dockerd 20.10 (see README "Podman").
 */
import { DOCKER_NAME_RULES, type NameRules } from './reference';

/** Which engine answers. */
export type EngineKind = 'docker' | 'podman';

/** What an event makes stale: the image list, the container list. */
export type RefreshKind = 'images' | 'containers';

/**
 * The groups of the Containers view, in display order. `stopping` is Podman's (a stop in
 * progress); every other Podman state is shown in the Docker group it corresponds to.
 */
export const CONTAINER_STATE_GROUPS = ['running', 'paused', 'restarting', 'stopping', 'created', 'exited', 'dead', 'removing', 'unknown'] as const;
export type ContainerStateGroup = (typeof CONTAINER_STATE_GROUPS)[number];

/** An engine's dialect of the Docker Engine API. */
export interface EngineDialect {
  readonly kind: EngineKind;
  /** Product name shown with the version: "Docker Engine", "Podman". */
  readonly product: string;
  /** Where names written without a registry are looked up. */
  readonly names: NameRules;
  /**
   * `/_ping` response headers: the engine's own version and its builder's version (Docker sends
   * `Builder-Version: 2` when BuildKit is its default builder).
   */
  readonly pingHeaders: { readonly version?: string; readonly builder?: string };
  /** Event vocabulary (`GET /events`, `Type` and `Action`). */
  readonly events: {
    /** Container actions that change the container list, a state, status or name. */
    readonly containerChanges: readonly string[];
    /** Container actions after which the container is gone — still verified by a fresh list. */
    readonly containerRemoved: readonly string[];
    /** Container actions known to change nothing the views show (exec, attach, mount…). */
    readonly containerQuiet: readonly string[];
    /** Image actions that change the image list (tags, new or removed images). */
    readonly imageChanges: readonly string[];
    /** Image actions known to change nothing in the image list. */
    readonly imageQuiet: readonly string[];
    /**
     * Image actions that may name an image that still exists: Podman sends `delete` for an image
     * ID after removing one of several tags (`untag` comes first). Never drop an image on these
     * without listing again.
     */
    readonly imageMaybeRemoved: readonly string[];
    /** Other event types and what they make stale ([] = nothing the views show). */
    readonly otherTypes: Readonly<Record<string, readonly RefreshKind[]>>;
  };
  /** Container states (`State` of the container list) beyond Docker's, by their group. */
  readonly states: Readonly<Record<string, ContainerStateGroup>>;
  /**
   * Where `Parent` comes from. `recorded`: written by the classic builder and `docker commit`,
   * a fact about how the image was made. `layer-tree`: computed by the engine from diff IDs and
   * history (Podman's libimage layer tree) — the evidence the lineage model weighs itself, so it
   * must not outrank an OCI base label.
   */
  readonly parentField: 'recorded' | 'layer-tree';
  /** What `POST /build` runs: Docker's classic builder or BuildKit (`version=2`); Podman's Buildah. */
  readonly builder: 'docker' | 'buildah';
}

/** Container actions both engines send that change what the views show. */
const CONTAINER_CHANGES = ['create', 'start', 'restart', 'stop', 'die', 'kill', 'pause', 'unpause', 'destroy', 'rename', 'update', 'oom', 'commit'];
/** Container actions of Docker that change nothing the views show. */
const DOCKER_CONTAINER_QUIET = ['exec_create', 'exec_start', 'exec_die', 'exec_detach', 'attach', 'detach', 'resize', 'top', 'archive-path', 'extract-to-dir', 'export', 'copy', 'health_status'];

export const DOCKER_DIALECT: EngineDialect = {
  kind: 'docker',
  product: 'Docker Engine',
  names: DOCKER_NAME_RULES,
  pingHeaders: { version: 'Api-Version', builder: 'Builder-Version' },
  events: {
    containerChanges: CONTAINER_CHANGES,
    containerRemoved: ['destroy'],
    containerQuiet: DOCKER_CONTAINER_QUIET,
    imageChanges: ['pull', 'tag', 'untag', 'delete', 'import', 'load', 'prune', 'create'],
    imageQuiet: ['push', 'save'],
    imageMaybeRemoved: ['delete'],
    otherTypes: { volume: [], network: ['containers'], daemon: [], plugin: [], service: [], node: [], secret: [], config: [] },
  },
  states: {},
  parentField: 'recorded',
  builder: 'docker',
};

export const PODMAN_DIALECT: EngineDialect = {
  kind: 'podman',
  product: 'Podman',
  names: { shortNameDomains: ['localhost', 'docker.io'] },
  pingHeaders: { version: 'Libpod-Api-Version', builder: 'Libpod-Buildah-Version' },
  events: {
    // `init` prepares a container for start (state initialized); `cleanup` follows its exit.
    containerChanges: [...CONTAINER_CHANGES, 'remove', 'init', 'cleanup', 'checkpoint', 'restore'],
    containerRemoved: ['remove', 'destroy'],
    containerQuiet: [...DOCKER_CONTAINER_QUIET, 'exec', 'exec_died', 'mount', 'unmount', 'sync', 'healthy', 'unhealthy', 'wait', 'prune'],
    imageChanges: ['pull', 'tag', 'untag', 'delete', 'remove', 'import', 'load', 'prune', 'build', 'create'],
    imageQuiet: ['push', 'save', 'mount', 'unmount', 'exists'],
    imageMaybeRemoved: ['delete', 'remove'],
    // A pod's events come with its infra container's; `system` events (refresh, renumber) and a
    // `reset` of everything.
    otherTypes: { pod: ['containers'], system: ['images', 'containers'], volume: [], network: ['containers'], secret: [], machine: [] },
  },
  // libpod's states (define/containerstate.go): configured is "created", created is "initialized".
  states: { configured: 'created', initialized: 'created', stopped: 'exited', stopping: 'stopping' },
  parentField: 'layer-tree',
  builder: 'buildah',
};

/** The dialect of an engine kind. */
export function dialectOf(kind: EngineKind | undefined): EngineDialect {
  return kind === 'podman' ? PODMAN_DIALECT : DOCKER_DIALECT;
}

/** What identifies an engine: `/_ping` headers (lower-case names) and/or `GET /version` fields. */
export interface EngineFingerprint {
  pingHeaders?: Readonly<Record<string, string | string[] | undefined>>;
  /** `Components[].Name` of `/version`, e.g. "Podman Engine". */
  componentNames?: readonly string[];
  /** `Platform.Name` of `/version`. */
  platformName?: string;
}

/** Podman when its ping header or a `/version` component or platform says so, else Docker. */
export function detectEngineKind(f: EngineFingerprint): EngineKind {
  const header = PODMAN_DIALECT.pingHeaders.version!.toLowerCase();
  if (f.pingHeaders && f.pingHeaders[header] !== undefined) return 'podman';
  if ((f.componentNames ?? []).some((n) => /podman/i.test(n)) || /podman/i.test(f.platformName ?? '')) return 'podman';
  return 'docker';
}

/** "Podman 4.3.1", "Docker Engine 20.10.24": the engine as the status bar, the CLI and reports name it. */
export function engineTitle(kind: EngineKind, version: string): string {
  return `${dialectOf(kind).product} ${version}`;
}

/** The builder's version from `/_ping` headers (lower-case names), e.g. Buildah "1.28.2"; undefined when not sent. */
export function builderVersion(kind: EngineKind, pingHeaders: Readonly<Record<string, string | string[] | undefined>>): string | undefined {
  const name = dialectOf(kind).pingHeaders.builder?.toLowerCase();
  const v = name ? pingHeaders[name] : undefined;
  const s = Array.isArray(v) ? v[0] : v;
  return s ? s : undefined;
}

/** "sha256:<hex>" for a bare 64-hex ID (Podman's events and `Parent`); anything else unchanged. */
export function normalizeImageId(id: string): string {
  return /^[a-f0-9]{64}$/.test(id) ? `sha256:${id}` : id;
}

/**
 * The group a container state is shown in: Docker's states are their own group, Podman's map as
 * its compat API documents them (`configured`/`initialized` → created, `stopped` → exited,
 * `stopping` its own group); anything else → `unknown`.
 */
export function containerStateGroup(state: string): ContainerStateGroup {
  const s = state.toLowerCase();
  if ((CONTAINER_STATE_GROUPS as readonly string[]).includes(s)) return s as ContainerStateGroup;
  return PODMAN_DIALECT.states[s] ?? 'unknown';
}

/** The fields of an engine event the classification reads (`GET /events`). */
export interface EngineEventLike {
  Type?: string;
  Action?: string;
  Actor?: { ID?: string; Attributes?: Record<string, string> };
}

/** What one engine event means for the views. */
export interface EventEffect {
  /** `image`, `container`, `pod`… as sent. */
  type: string;
  /** The action without its suffix (`exec_start: sh` → `exec_start`). */
  action: string;
  /** The object's ID; image IDs as "sha256:<hex>" whatever the engine sent. */
  id: string;
  /** What to list again; [] for events that change nothing shown. */
  refresh: RefreshKind[];
  /** The object may be gone — or not (Podman's `delete` after an untag): only a fresh list says. */
  mayBeGone: boolean;
  /** Neither the type nor the action is in the dialect: refreshed by its type anyway, for the caller to log. */
  unknown: boolean;
}

/**
 * Classify an engine event for a targeted refresh: image events refresh the image list, container
 * events the container list (a commit both), quiet actions nothing; an unknown action refreshes
 * what its type concerns, an unknown type both lists. Never an error.
 */
export function classifyEvent(e: EngineEventLike, dialect: EngineDialect): EventEffect {
  const type = e.Type ?? '';
  const action = (e.Action ?? '').split(':')[0]!.trim();
  const v = dialect.events;
  const effect: EventEffect = { type, action, id: e.Actor?.ID ?? '', refresh: [], mayBeGone: false, unknown: false };
  if (type === 'image') {
    effect.id = normalizeImageId(effect.id);
    effect.mayBeGone = v.imageMaybeRemoved.includes(action);
    if (!v.imageQuiet.includes(action)) effect.refresh = ['images'];
    effect.unknown = !v.imageChanges.includes(action) && !v.imageQuiet.includes(action);
  } else if (type === 'container') {
    effect.mayBeGone = v.containerRemoved.includes(action);
    if (v.containerChanges.includes(action) || v.containerRemoved.includes(action)) {
      effect.refresh = action === 'commit' ? ['images', 'containers'] : ['containers'];
    } else if (!v.containerQuiet.includes(action)) {
      effect.refresh = ['containers'];
      effect.unknown = true;
    }
  } else if (Object.prototype.hasOwnProperty.call(v.otherTypes, type)) {
    effect.refresh = [...v.otherTypes[type]!];
  } else {
    effect.refresh = ['images', 'containers'];
    effect.unknown = true;
  }
  return effect;
}
