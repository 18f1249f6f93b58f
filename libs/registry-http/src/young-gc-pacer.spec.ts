import { createServer, IncomingMessage, request, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { GcFunction, YoungGcPacer } from './young-gc-pacer';

describe('YoungGcPacer', () => {
  it('runs one young GC per `every` bytes counted, and none before', () => {
    const calls: string[] = [];
    const pacer = new YoungGcPacer((o) => calls.push(o.type), 100);
    pacer.count(60);
    expect(calls).toEqual([]);
    pacer.count(60); // 120: one GC, 20 carried over
    expect(calls).toEqual(['minor']);
    pacer.count(79);
    expect(calls).toEqual(['minor']);
    pacer.count(1); // 200
    expect(calls).toEqual(['minor', 'minor']);
    pacer.count(1000); // one GC per call, however large the chunk
    expect(calls).toEqual(['minor', 'minor', 'minor']);
    pacer.count(100); // the remainder was 0: 100 more is one more multiple
    expect(calls.length).toBe(4);
  });

  it('does nothing and leaves the server class alone without an exposed gc', () => {
    const pacer = new YoungGcPacer(undefined, 1);
    expect(() => pacer.count(10)).not.toThrow();
    expect(pacer.incomingMessageClass()).toBe(IncomingMessage);
  });

  describe('on a real HTTP server', () => {
    let server: Server;
    let gcCalls = 0;
    let received = '';

    beforeAll(async () => {
      const gc: GcFunction = () => void gcCalls++;
      const pacer = new YoungGcPacer(gc, 64 * 1024);
      server = createServer({ IncomingMessage: pacer.incomingMessageClass() }, (req, res) => {
        const parts: Buffer[] = [];
        req.on('data', (c: Buffer) => parts.push(c));
        req.on('end', () => {
          received = Buffer.concat(parts).toString('latin1');
          res.end('ok');
        });
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    });

    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

    it('counts request bodies and still delivers every byte', async () => {
      const body = 'x'.repeat(300 * 1024) + 'end';
      const { port } = server.address() as AddressInfo;
      const status = await new Promise<number>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port, method: 'PUT', path: '/' }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        });
        req.on('error', reject);
        req.end(body);
      });
      expect(status).toBe(200);
      expect(received).toBe(body);
      expect(gcCalls).toBe(4); // 300 KiB + 3 bytes in steps of 64 KiB
    });
  });
});
