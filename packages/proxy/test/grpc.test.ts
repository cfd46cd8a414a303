/**
 * gRPC through the proxy with @grpc/grpc-js on both ends (h2c both sides,
 * identity serializers, no protobuf): unary with metadata, `-bin` values and
 * trailers, a trailers-only error, server/client/bidi streaming, 10 MiB under
 * flow control, client cancel reaching the server, a deadline, and the
 * proxy's own UNAVAILABLE when the upstream is down.
 */
import * as grpc from '@grpc/grpc-js';
import { ALPN, HttpPeer } from '@pingora-ts/core';
import { afterEach, describe, expect, it } from 'vitest';
import type { ProxyHttp } from '../src/proxy-http.ts';
import { startProxy } from './utils/proxy-harness.ts';

const id = (b: Buffer): Buffer => b;
function method(name: string, requestStream: boolean, responseStream: boolean) {
  return {
    path: `/test.Echo/${name}`,
    requestStream,
    responseStream,
    requestSerialize: id,
    requestDeserialize: id,
    responseSerialize: id,
    responseDeserialize: id,
  };
}
const service = {
  unary: method('Unary', false, false),
  serverStream: method('ServerStream', false, true),
  clientStream: method('ClientStream', true, false),
  bidi: method('Bidi', true, true),
} as const;
interface AnyClient extends grpc.Client {
  unary(
    req: Buffer,
    md: grpc.Metadata,
    options: grpc.CallOptions,
    cb: (err: grpc.ServiceError | null, value?: Buffer) => void,
  ): grpc.ClientUnaryCall;
  serverStream(
    req: Buffer,
    md?: grpc.Metadata,
    options?: grpc.CallOptions,
  ): grpc.ClientReadableStream<Buffer>;
  clientStream(
    cb: (err: grpc.ServiceError | null, value?: Buffer) => void,
  ): grpc.ClientWritableStream<Buffer>;
  bidi(): grpc.ClientDuplexStream<Buffer, Buffer>;
}
const EchoClient = grpc.makeGenericClientConstructor(service, 'Echo');

let cancelled: () => void = () => {};

const impl: grpc.UntypedServiceImplementation = {
  unary(call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) {
    const text = call.request.toString();
    if (text === 'missing') {
      cb({ code: grpc.status.NOT_FOUND, details: 'no such thing' });
      return;
    }
    const initial = new grpc.Metadata();
    initial.set('x-init-bin', Buffer.from([0, 1, 2, 255]));
    initial.set('x-seen', String(call.metadata.get('x-client')[0] ?? ''));
    call.sendMetadata(initial);
    const trailer = new grpc.Metadata();
    trailer.set('x-trailer', 'bye');
    trailer.set('x-trailer-bin', Buffer.from('tbin'));
    cb(null, Buffer.from(`hi ${text}`), trailer);
  },
  serverStream(call: grpc.ServerWritableStream<Buffer, Buffer>) {
    const total = Number(call.request.toString());
    if (total < 0) {
      // Endless until the client cancels.
      call.on('cancelled', () => cancelled());
      const timer = setInterval(() => call.write(Buffer.from('tick')), 5);
      call.on('cancelled', () => clearInterval(timer));
      return;
    }
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    let sent = 0;
    const pump = (): void => {
      while (sent < total) {
        sent += chunk.length;
        if (!call.write(chunk)) {
          call.once('drain', pump);
          return;
        }
      }
      call.end();
    };
    pump();
  },
  clientStream(call: grpc.ServerReadableStream<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) {
    const parts: string[] = [];
    call.on('data', (b: Buffer) => parts.push(b.toString()));
    call.on('end', () => cb(null, Buffer.from(parts.join(','))));
  },
  bidi(call: grpc.ServerDuplexStream<Buffer, Buffer>) {
    call.on('data', (b: Buffer) => call.write(Buffer.from(`echo ${b}`)));
    call.on('end', () => call.end());
  },
};

async function startGrpcServer(): Promise<{ server: grpc.Server; port: number }> {
  const server = new grpc.Server();
  server.addService(service, impl);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );
  return { server, port };
}

function toGrpc(port: number): ProxyHttp<null> {
  return {
    newCtx: () => null,
    upstreamPeer: () =>
      new HttpPeer(`127.0.0.1:${port}`, { options: { alpn: ALPN.H2, maxH2Streams: 100 } }),
  };
}

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function setup(upstreamPort?: number) {
  let port = upstreamPort;
  if (port === undefined) {
    const g = await startGrpcServer();
    cleanups.push(() => g.server.forceShutdown());
    port = g.port;
  }
  const p = await startProxy(toGrpc(port), { maxRetries: 0 }, { h2c: true });
  cleanups.push(() => p[Symbol.asyncDispose]());
  const client = new EchoClient(
    `127.0.0.1:${p.port}`,
    grpc.credentials.createInsecure(),
  ) as unknown as AnyClient;
  cleanups.push(() => client.close());
  return { client, proxy: p };
}

function unary(client: AnyClient, body: string, md = new grpc.Metadata(), deadlineMs?: number) {
  return new Promise<{
    value?: Buffer;
    error?: grpc.ServiceError;
    initial?: grpc.Metadata;
    trailers?: grpc.Metadata;
  }>((resolve) => {
    const out: {
      value?: Buffer;
      error?: grpc.ServiceError;
      initial?: grpc.Metadata;
      trailers?: grpc.Metadata;
    } = {};
    const options = deadlineMs === undefined ? {} : { deadline: Date.now() + deadlineMs };
    const call = client.unary(
      Buffer.from(body),
      md,
      options,
      (err: grpc.ServiceError | null, v?: Buffer) => {
        if (err) out.error = err;
        else if (v !== undefined) out.value = v;
      },
    ) as grpc.ClientUnaryCall;
    call.on('metadata', (m: grpc.Metadata) => {
      out.initial = m;
    });
    call.on('status', (s: grpc.StatusObject) => {
      out.trailers = s.metadata;
      setImmediate(() => resolve(out));
    });
  });
}

describe('gRPC through the proxy', () => {
  it('unary: metadata, -bin values and trailers intact; errors arrive trailers-only', async () => {
    const { client } = await setup();
    const md = new grpc.Metadata();
    md.set('x-client', 'c1');
    const ok = await unary(client, 'there', md);
    expect(ok.error).toBeUndefined();
    expect(ok.value?.toString()).toBe('hi there');
    expect(ok.initial?.get('x-init-bin')[0]).toEqual(Buffer.from([0, 1, 2, 255]));
    expect(ok.initial?.get('x-seen')[0]).toBe('c1');
    expect(ok.trailers?.get('x-trailer')[0]).toBe('bye');
    expect(ok.trailers?.get('x-trailer-bin')[0]).toEqual(Buffer.from('tbin'));
    const missing = await unary(client, 'missing');
    expect(missing.error?.code).toBe(grpc.status.NOT_FOUND);
    expect(missing.error?.details).toBe('no such thing');
  });

  it('server streaming of 10 MiB under flow control', async () => {
    const { client } = await setup();
    const total = 10 * 1024 * 1024;
    const got = await new Promise<number>((resolve, reject) => {
      let n = 0;
      const call = client.serverStream(
        Buffer.from(String(total)),
      ) as grpc.ClientReadableStream<Buffer>;
      call.on('data', (b: Buffer) => {
        n += b.length;
      });
      call.on('error', reject);
      call.on('end', () => resolve(n));
    });
    expect(got).toBe(total);
  });

  it('client streaming and bidi streaming', async () => {
    const { client } = await setup();
    const joined = await new Promise<string>((resolve, reject) => {
      const call = client.clientStream((err: grpc.ServiceError | null, v?: Buffer) =>
        err ? reject(err) : resolve(String(v)),
      ) as grpc.ClientWritableStream<Buffer>;
      for (const part of ['a', 'b', 'c']) call.write(Buffer.from(part));
      call.end();
    });
    expect(joined).toBe('a,b,c');
    const echoed = await new Promise<string[]>((resolve, reject) => {
      const out: string[] = [];
      const call = client.bidi() as grpc.ClientDuplexStream<Buffer, Buffer>;
      call.on('data', (b: Buffer) => {
        out.push(b.toString());
        if (out.length < 3) call.write(Buffer.from(String.fromCharCode(97 + out.length)));
        else call.end();
      });
      call.on('error', reject);
      call.on('end', () => resolve(out));
      call.write(Buffer.from('a'));
    });
    expect(echoed).toEqual(['echo a', 'echo b', 'echo c']);
  });

  it('a client cancel reaches the server', async () => {
    const { client } = await setup();
    const serverSaw = new Promise<void>((resolve) => {
      cancelled = resolve;
    });
    const call = client.serverStream(Buffer.from('-1')) as grpc.ClientReadableStream<Buffer>;
    call.on('error', () => {});
    await new Promise<void>((resolve) => call.once('data', () => resolve()));
    call.cancel();
    await serverSaw;
  });

  it('a deadline ends the call with DEADLINE_EXCEEDED', async () => {
    const { client } = await setup();
    const r = await new Promise<grpc.ServiceError>((resolve) => {
      const call = client.serverStream(Buffer.from('-1'), new grpc.Metadata(), {
        deadline: Date.now() + 50,
      }) as grpc.ClientReadableStream<Buffer>;
      call.on('data', () => {});
      call.on('error', (e: grpc.ServiceError) => resolve(e));
    });
    expect(r.code).toBe(grpc.status.DEADLINE_EXCEEDED);
  });

  it('upstream down: the proxy answers UNAVAILABLE (14) as gRPC', async () => {
    const g = await startGrpcServer();
    const port = g.port;
    g.server.forceShutdown();
    const { client } = await setup(port);
    const r = await unary(client, 'x');
    expect(r.error?.code).toBe(grpc.status.UNAVAILABLE);
    expect(r.error?.details).toContain('proxy');
  });
});
