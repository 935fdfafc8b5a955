/**
 * The resource and privilege limits of throwaway containers (transactions, warm pools, shells,
 * serve sessions): {@link SecurityOptions}, their secure defaults and the engine `HostConfig`
 * they become.
 */
import type Docker from 'dockerode';

/** Resource and privilege limits applied to every throwaway container (secure by default). */
export interface SecurityOptions {
  /**
   * Engine network mode; 'none' (default) gives the container no network at all. 'disabled' is as
   * isolated (its own network namespace with loopback only) but the engine sets up no network
   * sandbox for it (`Config.NetworkDisabled`): that skips about two thirds of a cold start here
   * (bench/transactions), at the price of no `localhost` entry in `/etc/hosts` and no
   * `/etc/resolv.conf` in the container, so the name `localhost` does not resolve (127.0.0.1 works).
   */
  network: string;
  /** Drop every Linux capability (`CapDrop: ["ALL"]`). Default true. */
  dropAllCapabilities: boolean;
  /** `--security-opt no-new-privileges` (setuid binaries cannot gain privileges). Default true. */
  noNewPrivileges: boolean;
  /** Maximum number of processes (cgroup pids limit); 0 = unlimited. Default 128. */
  pidsLimit: number;
  /** Memory limit in bytes (swap included); 0 = unlimited. Default 256 MiB. */
  memoryBytes: number;
  /** Mount the image's root filesystem read-only. Default true. */
  readOnlyRootfs: boolean;
  /** Size of the writable tmpfs mounted at /tmp, in bytes; 0 = no tmpfs. Default 64 MiB. */
  tmpfsBytes: number;
}

/** The defaults of {@link SecurityOptions}. */
export const DEFAULT_SECURITY: Readonly<SecurityOptions> = Object.freeze({
  network: 'none',
  dropAllCapabilities: true,
  noNewPrivileges: true,
  pidsLimit: 128,
  memoryBytes: 256 * 1024 * 1024,
  readOnlyRootfs: true,
  tmpfsBytes: 64 * 1024 * 1024,
});

/** True when the security options ask for network 'disabled' (create with `NetworkDisabled: true`). */
export function networkDisabledFor(security: Partial<SecurityOptions> = {}): boolean {
  return (security.network ?? DEFAULT_SECURITY.network) === 'disabled';
}

/** Engine `HostConfig` for the given security options (missing fields take the defaults; network 'disabled' is mode 'none'). */
export function hostConfigFor(security: Partial<SecurityOptions> = {}): Docker.HostConfig {
  const s = { ...DEFAULT_SECURITY, ...security };
  const hc: Docker.HostConfig = { AutoRemove: false, NetworkMode: networkDisabledFor(s) ? 'none' : s.network, ReadonlyRootfs: s.readOnlyRootfs };
  if (s.dropAllCapabilities) hc.CapDrop = ['ALL'];
  if (s.noNewPrivileges) hc.SecurityOpt = ['no-new-privileges'];
  if (s.pidsLimit > 0) hc.PidsLimit = s.pidsLimit;
  if (s.memoryBytes > 0) {
    hc.Memory = s.memoryBytes;
    hc.MemorySwap = s.memoryBytes;
  }
  if (s.tmpfsBytes > 0) hc.Tmpfs = { '/tmp': `rw,nosuid,nodev,size=${s.tmpfsBytes}` };
  return hc;
}
