/**
 * Echo sample gateway: `node dist/main.js -c conf.yaml`. Shows the Server
 * API end to end: CLI and YAML for free, the app's own typed settings from the
 * same file, one ListeningService, signals and daemon mode from runForever().
 */
import { sampleLogger } from '@pingora-ts/app-demo-origin';
import { ListeningService, Server, useProxyYoungGeneration } from '@pingora-ts/core';
import { EchoApp, echoConfigSchema } from './echo-app.ts';

// First, before anything opens: 8 MiB semi-spaces (re-executes once; see core).
useProxyYoungGeneration();

const server = Server.fromArgs(process.argv.slice(2), { logger: sampleLogger });
const config = server.appConfig(echoConfigSchema, 'echo');

const echo = new ListeningService('echo', new EchoApp(config));
for (const addr of config.listen) echo.addAddress(addr);

server.addService(echo);
server.bootstrap();
await server.runForever();
