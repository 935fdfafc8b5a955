/**
 * Builds the dockerode client for an engine endpoint: unix socket, named pipe, TCP (plain or TLS
 * from DOCKER_CERT_PATH's PEM files) or ssh (agent or the first of ~/.ssh/id_*). The only code that
 * constructs a dockerode client; the EngineConnection (connection.ts) owns the one it keeps.
 * scripts/bundles.mjs (LAZY_FUNCTIONS) loads dockerode on the first construction from this module.
 */
import Docker from 'dockerode';
import * as fs from 'node:fs';
import * as https from 'node:https';
import * as os from 'node:os';
import * as path from 'node:path';
import type { EngineEndpoint } from './endpoint';

/** Read a PEM file for TLS, with a message that says which file is missing. */
function readPem(file: string | undefined, what: string): Buffer | undefined {
  if (!file) return undefined;
  try {
    return fs.readFileSync(file);
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === 'ENOENT') return undefined;
    throw new Error(`cannot read the TLS ${what} ${file}: ${(err as Error).message}`);
  }
}

/**
 * dockerode's modem reads DOCKER_HOST from process.env in its constructor and lets it override
 * the options we pass (and throws on values it cannot parse). Our resolver has already decided
 * the endpoint from the injected env, so the constructor runs with DOCKER_HOST masked; it is
 * synchronous, and the variable is restored before anything else runs.
 */
function constructDocker(options: Docker.DockerOptions & Record<string, unknown>): Docker {
  const saved = process.env.DOCKER_HOST;
  delete process.env.DOCKER_HOST;
  try {
    return new Docker(options);
  } finally {
    if (saved !== undefined) process.env.DOCKER_HOST = saved;
  }
}

/** Interval (ms) of ssh2's SSH-level keepalive on ssh:// endpoints. */
export const SSH_KEEPALIVE_MS = 2000;
/** Unanswered keepalives after which ssh2 ends an ssh:// connection. */
export const SSH_KEEPALIVE_COUNT = 3;

/**
 * Build a dockerode client for an endpoint (the only place that does).
 * @param env the resolver's environment (ssh: USER, LOGNAME, HOME, SSH_AUTH_SOCK).
 * @param timeoutMs ssh only: how long the ssh handshake may take (`readyTimeout`), ms.
 * @throws Error with a clear message when TLS material is missing or unreadable.
 */
export function createClient(endpoint: EngineEndpoint, env: Record<string, string | undefined>, timeoutMs: number): Docker {
  switch (endpoint.kind) {
    case 'unix':
      return constructDocker({ socketPath: endpoint.socketPath });
    case 'npipe':
      return constructDocker({ socketPath: endpoint.pipePath });
    case 'tcp': {
      if (!endpoint.tls) return constructDocker({ host: endpoint.host, port: endpoint.port, protocol: 'http' });
      const tls = endpoint.tls;
      const ca = readPem(tls.caFile, 'CA certificate');
      const cert = readPem(tls.certFile, 'client certificate');
      const key = readPem(tls.keyFile, 'client key');
      if (tls.verify && !ca) {
        throw new Error(`TLS verification needs a CA certificate, but ${tls.caFile ?? 'ca.pem'} does not exist; set DOCKER_CERT_PATH to the folder with ca.pem, cert.pem and key.pem`);
      }
      if (!!cert !== !!key) throw new Error(`TLS client authentication needs both cert.pem and key.pem; only ${cert ? tls.certFile : tls.keyFile} exists`);
      const options: Docker.DockerOptions & Record<string, unknown> = { host: endpoint.host, port: endpoint.port, protocol: 'https', ca, cert, key };
      if (!tls.verify) options.agent = new https.Agent({ rejectUnauthorized: false, ca, cert, key });
      return constructDocker(options);
    }
    case 'ssh': {
      const username = endpoint.username ?? env.USER ?? env.LOGNAME ?? safeUserName();
      // SSH-level keepalive (requests to sshd, none to the engine): a host or network that goes
      // away without closing the connection ends it, and the held event stream with it, after
      // SSH_KEEPALIVE_MS × (SSH_KEEPALIVE_COUNT + 1) without an answer.
      const sshOptions: Record<string, unknown> = { readyTimeout: timeoutMs, keepaliveInterval: SSH_KEEPALIVE_MS, keepaliveCountMax: SSH_KEEPALIVE_COUNT };
      if (env.SSH_AUTH_SOCK) sshOptions.agent = env.SSH_AUTH_SOCK;
      else {
        const home = env.HOME || os.homedir();
        for (const name of ['id_ed25519', 'id_ecdsa', 'id_rsa']) {
          const key = readPem(path.join(home, '.ssh', name), 'ssh key');
          if (key) {
            sshOptions.privateKey = key;
            break;
          }
        }
      }
      return constructDocker({ protocol: 'ssh', host: endpoint.host, port: endpoint.port, username, sshOptions });
    }
  }
}

function safeUserName(): string | undefined {
  try {
    return os.userInfo().username;
  } catch {
    return undefined;
  }
}
