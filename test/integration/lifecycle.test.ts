// The broker as a process: start-up lines, --help, flag errors, a port already in use, clean
// shutdown on SIGINT/SIGTERM and on a client's SHUTDOWN.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import { startBroker } from '../helpers/broker.js';

const CLI = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dist/src/cli.js');

describe('the ringcast process', () => {
  it('prints one line per listener and the worker count, and exits 0 on SIGTERM', async () => {
    const b = await startBroker({ workers: 2 });
    expect(b.output()).toMatch(/ringcast \S+: 2 partition workers/);
    expect(b.output()).toMatch(/RESP listening on 127\.0\.0\.1:\d+/);
    expect(b.output()).toMatch(/HTTP\/WebSocket listening on 127\.0\.0\.1:\d+/);
    expect(await b.stop('SIGTERM')).toBe(0);
    expect(b.output()).toContain('ringcast: stopped');
  });

  it('runs the partition on the main thread with --workers 0, says so, and exits 0 on SIGTERM', async () => {
    const b = await startBroker({ workers: 0 });
    expect(b.output()).toMatch(/ringcast \S+: partition on the main thread \(--workers 0\)/);
    const sub = net.connect(b.port, '127.0.0.1');
    await new Promise((r) => sub.once('connect', r));
    let got = '';
    sub.on('data', (d) => (got += d.toString('latin1')));
    sub.write('SUBSCRIBE news\r\n');
    await vi.waitFor(() => expect(got).toContain(':1\r\n'));
    const pub = net.connect(b.port, '127.0.0.1');
    let reply = '';
    pub.on('data', (d) => (reply += d.toString('latin1')));
    pub.write('PUBLISH news hello\r\nINFO server\r\n');
    await vi.waitFor(() => expect(got).toContain('$5\r\nhello\r\n'));
    await vi.waitFor(() => expect(reply).toContain('ringcast_partition_workers:0'));
    expect(reply.startsWith(':1\r\n')).toBe(true);
    sub.destroy();
    pub.destroy();
    expect(await b.stop('SIGTERM')).toBe(0);
  });

  it('exits 0 on SIGINT with clients and subscriptions open', async () => {
    const b = await startBroker({ workers: 1 });
    const sock = net.connect(b.port, '127.0.0.1');
    await new Promise((r) => sock.once('connect', r));
    sock.write('SUBSCRIBE news\r\n');
    await new Promise((r) => sock.once('data', r));
    const closed = new Promise((r) => sock.once('close', r));
    sock.on('error', () => {});
    expect(await b.stop('SIGINT')).toBe(0);
    await closed;
  });

  it('SHUTDOWN from a client: no reply, the log is written out, exit 0, and the data is there after a restart', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'ringcast-shutdown-'));
    try {
      const args = ['--appendonly', 'yes', '--appendfsync', 'no', '--dir', dir];
      const b = await startBroker({ workers: 1, args });
      const exited = new Promise<number | null>((r) => b.proc.once('exit', (code) => r(code)));
      const sock = net.connect(b.port, '127.0.0.1');
      sock.on('error', () => {});
      await new Promise((r) => sock.once('connect', r));
      let received = '';
      sock.on('data', (d: Buffer) => (received += d.toString()));
      const closed = new Promise((r) => sock.once('close', r));
      sock.write('SET kept yes\r\nSHUTDOWN ABORT\r\nSHUTDOWN NOW\r\n');
      await closed;
      expect(received).toBe('+OK\r\n-ERR No shutdown in progress.\r\n');
      expect(await exited).toBe(0);
      expect(b.output()).toContain('ringcast: SHUTDOWN requested by a client, shutting down');
      expect(b.output()).toContain('ringcast: stopped');

      const again = await startBroker({ workers: 1, args });
      const check = net.connect(again.port, '127.0.0.1');
      await new Promise((r) => check.once('connect', r));
      check.write('GET kept\r\n');
      const reply = await new Promise<string>((r) => check.once('data', (d: Buffer) => r(d.toString())));
      check.destroy();
      expect(reply).toBe('$3\r\nyes\r\n');
      expect(await again.stop('SIGTERM')).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('--help lists every flag with its default', () => {
    const r = spawnSync(process.execPath, [CLI, '--help'], { encoding: 'utf8', timeout: 10000 });
    expect(r.status).toBe(0);
    for (const flag of ['--port', '--http-port', '--ws-max-payload', '--bind', '--workers', '--proto-max-bulk-len', '--client-output-buffer-limit', '--ring-size', '--help']) {
      expect(r.stdout).toContain(flag);
    }
    expect(r.stdout).toMatch(/--port\s+.*\[default: 6379\]/);
    expect(r.stdout).toMatch(/--workers\s+.*\[default: auto/);
  });

  it('names the option and the value when a flag is bad', () => {
    const r = spawnSync(process.execPath, [CLI, '--workers', 'lots'], { encoding: 'utf8', timeout: 10000 });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("invalid value 'lots' for --workers");
    const u = spawnSync(process.execPath, [CLI, '--colour', 'red'], { encoding: 'utf8', timeout: 10000 });
    expect(u.status).not.toBe(0);
    expect(u.stderr).toContain('unknown option --colour');
  });

  it.each([
    ['RESP', (port: number) => ['--port', String(port), '--http-port', '0']],
    ['HTTP', (port: number) => ['--port', '0', '--http-port', String(port)]],
  ])('a %s port already in use gets a one-line error naming the port and a non-zero exit', async (listener, flags) => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const r = spawnSync(process.execPath, [CLI, ...flags(port), '--workers', '1', '--appendonly', 'no'], { encoding: 'utf8', timeout: 15000 });
      expect(r.status).toBe(1);
      const lines = r.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toBe(`ringcast: cannot listen on 127.0.0.1:${port} (${listener}): address already in use`);
    } finally {
      blocker.close();
    }
  });
});
