/**
 * Peer server: Fastify with `@fastify/http-proxy` as its README shows it
 * (`upstream` only), which forwards through @fastify/reply-from's default
 * undici client with keep-alive to the origin.
 */
import proxy from '@fastify/http-proxy';
import Fastify from 'fastify';
import { serverArgs } from './args.mjs';

const { port, originHost, originPort } = serverArgs();

const app = Fastify({ logger: false });
await app.register(proxy, { upstream: `http://${originHost}:${originPort}` });
await app.listen({ port, host: '127.0.0.1', backlog: 4096 });
