/**
 * Hello sample: `node dist/main.js -c conf.yaml`. A ListeningService runs
 * an HttpServer built from one handler (Pingora's ServeHttp); CLI, YAML,
 * signals and graceful shutdown come from the Server.
 */
import { sampleLogger } from '@pingora-ts/app-demo-origin';
import {
  h1TimeoutsFromServerConf,
  ListeningService,
  Server,
  useProxyYoungGeneration,
} from '@pingora-ts/core';
import { helloApp, helloConfigSchema } from './hello-app.ts';

// First, before anything opens: 8 MiB semi-spaces (re-executes once; see core).
useProxyYoungGeneration();

const server = Server.fromArgs(process.argv.slice(2), { logger: sampleLogger });
const config = server.appConfig(helloConfigSchema, 'hello');

const hello = new ListeningService(
  'hello',
  // The server's downstream_*_timeout_seconds keys apply to the hello server too.
  helloApp(
    config,
    server.logger.child({ service: 'hello' }),
    h1TimeoutsFromServerConf(server.configuration),
  ),
);
for (const addr of config.listen) hello.addTcp(addr);

server.addService(hello);
server.bootstrap();
await server.runForever();
