/**
 * An SSH front for the engine's unix socket, for the ssh:// endpoint tests: an SSH server
 * (ssh2's `Server`, a full SSH protocol implementation; this machine has no sshd) on a free
 * loopback port that accepts one user with one public key and runs one command,
 * `docker system dial-stdio`, the way the docker CLI does on a remote host: the exec channel is
 * piped both ways to the engine socket. Anything else is refused. The engine behind it is the
 * real one; only sshd and the remote docker CLI are stood in for.
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { Server, utils, type Connection } from 'ssh2';

export interface SshFront {
  port: number;
  /** A HOME with `.ssh/id_ed25519` holding the client key the server accepts. */
  home: string;
  user: string;
  /** `dial-stdio` channels opened so far. */
  readonly dials: number;
  /** Stop listening, end every connection and remove `home`. */
  close(): Promise<void>;
}

/**
 * Start the front on a free 127.0.0.1 port for the engine at `engineSocket`.
 * @throws when the port cannot be bound.
 */
export async function startSshFront(engineSocket = '/var/run/docker.sock'): Promise<SshFront> {
  const user = 'lineage';
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'cl-ssh-home-'));
  const client = utils.generateKeyPairSync('ed25519');
  fs.mkdirSync(path.join(home, '.ssh'), { mode: 0o700 });
  fs.writeFileSync(path.join(home, '.ssh', 'id_ed25519'), client.private, { mode: 0o600 });
  const allowed = utils.parseKey(client.public);
  if (allowed instanceof Error) throw allowed;
  const connections = new Set<Connection>();
  const sockets = new Set<net.Socket>();
  let dials = 0;

  const server = new Server({ hostKeys: [utils.generateKeyPairSync('ed25519').private] }, (conn) => {
    connections.add(conn);
    conn.on('error', () => undefined);
    conn.on('close', () => connections.delete(conn));
    conn.on('authentication', (ctx) => {
      const ok =
        ctx.method === 'publickey' &&
        ctx.username === user &&
        ctx.key.algo === allowed.type &&
        ctx.key.data.equals(allowed.getPublicSSH()) &&
        (!ctx.signature || !ctx.blob || allowed.verify(ctx.blob, ctx.signature, ctx.hashAlgo) === true);
      if (ok) ctx.accept();
      else ctx.reject(['publickey']);
    });
    conn.on('ready', () => {
      conn.on('session', (acceptSession) => {
        const session = acceptSession();
        session.on('exec', (acceptExec, rejectExec, info) => {
          if (info.command !== 'docker system dial-stdio') return rejectExec();
          const channel = acceptExec();
          dials++;
          const engine = net.connect(engineSocket);
          sockets.add(engine);
          channel.pipe(engine).pipe(channel);
          const end = () => {
            engine.destroy();
            sockets.delete(engine);
            channel.close();
          };
          engine.on('error', end).on('close', end);
          channel.on('close', end);
        });
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    home,
    user,
    get dials() {
      return dials;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        for (const c of connections) c.end();
        server.close(() => {
          fs.rmSync(home, { recursive: true, force: true });
          resolve();
        });
      }),
  };
}
