/**
 * A tiny authoritative DNS server on 127.0.0.1 (UDP) answering A, AAAA and
 * SRV queries from a zone table the test can change, so DNS discovery is
 * tested through node:dns's real resolver. Unknown names get NXDOMAIN; a
 * known name without records of the asked type gets an empty answer
 * (NODATA); `mode` can make it answer SERVFAIL or not answer at all.
 */
import { createSocket, type Socket } from 'node:dgram';

export interface SrvAnswer {
  priority: number;
  weight: number;
  port: number;
  target: string;
}

export interface ZoneEntry {
  A?: string[];
  AAAA?: string[];
  SRV?: SrvAnswer[];
}

const TYPE = { A: 1, AAAA: 28, SRV: 33 } as const;

export class TestDnsServer implements AsyncDisposable {
  readonly zone = new Map<string, ZoneEntry>();
  mode: 'answer' | 'servfail' | 'silent' = 'answer';
  queries = 0;
  #socket: Socket | undefined;
  port = 0;

  get server(): string {
    return `127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    const socket = createSocket('udp4');
    socket.on('message', (msg, rinfo) => {
      this.queries++;
      const reply = this.#answer(msg);
      if (reply !== undefined) socket.send(reply, rinfo.port, rinfo.address);
    });
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
    this.port = socket.address().port;
    this.#socket = socket;
    return this;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    const socket = this.#socket;
    this.#socket = undefined;
    if (socket !== undefined) await new Promise<void>((resolve) => socket.close(() => resolve()));
  }

  #answer(query: Buffer): Buffer | undefined {
    if (this.mode === 'silent' || query.length < 12) return undefined;
    const id = query.readUInt16BE(0);
    let at = 12;
    const labels: string[] = [];
    while (at < query.length && query[at] !== 0) {
      const len = query[at]!;
      labels.push(query.toString('ascii', at + 1, at + 1 + len));
      at += 1 + len;
    }
    const questionEnd = at + 5;
    if (questionEnd > query.length) return undefined;
    const qtype = query.readUInt16BE(at + 1);
    const name = labels.join('.').toLowerCase();
    const question = query.subarray(12, questionEnd);
    const entry = this.zone.get(name);
    const rcode = this.mode === 'servfail' ? 2 : entry === undefined ? 3 : 0;
    const answers = rcode === 0 ? records(entry!, qtype) : [];
    const header = Buffer.alloc(12);
    header.writeUInt16BE(id, 0);
    header.writeUInt16BE(0x8400 | rcode, 2); // response, authoritative
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(answers.length, 6);
    return Buffer.concat([header, question, ...answers]);
  }
}

function records(entry: ZoneEntry, qtype: number): Buffer[] {
  const out: Buffer[] = [];
  if (qtype === TYPE.A)
    for (const ip of entry.A ?? []) out.push(rr(TYPE.A, Buffer.from(ip.split('.').map(Number))));
  if (qtype === TYPE.AAAA)
    for (const ip of entry.AAAA ?? []) out.push(rr(TYPE.AAAA, ipv6Bytes(ip)));
  if (qtype === TYPE.SRV) {
    for (const srv of entry.SRV ?? []) {
      const fixed = Buffer.alloc(6);
      fixed.writeUInt16BE(srv.priority, 0);
      fixed.writeUInt16BE(srv.weight, 2);
      fixed.writeUInt16BE(srv.port, 4);
      out.push(rr(TYPE.SRV, Buffer.concat([fixed, encodeName(srv.target)])));
    }
  }
  return out;
}

/** An answer record whose name points back at the question (compression pointer to offset 12). */
function rr(type: number, data: Buffer): Buffer {
  const head = Buffer.alloc(12);
  head.writeUInt16BE(0xc00c, 0);
  head.writeUInt16BE(type, 2);
  head.writeUInt16BE(1, 4); // IN
  head.writeUInt32BE(30, 6); // TTL
  head.writeUInt16BE(data.length, 10);
  return Buffer.concat([head, data]);
}

function encodeName(name: string): Buffer {
  const parts = name.split('.').filter((p) => p !== '');
  return Buffer.concat([
    ...parts.map((p) => Buffer.concat([Buffer.from([p.length]), Buffer.from(p, 'ascii')])),
    Buffer.from([0]),
  ]);
}

function ipv6Bytes(ip: string): Buffer {
  const [head = '', tail = ''] = ip.split('::');
  const h = head === '' ? [] : head.split(':');
  const t = tail === '' ? [] : tail.split(':');
  const groups = ip.includes('::') ? [...h, ...Array(8 - h.length - t.length).fill('0'), ...t] : h;
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => {
    out.writeUInt16BE(Number.parseInt(g, 16), i * 2);
  });
  return out;
}
