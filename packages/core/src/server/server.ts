/**
 * Server: owns the process (Pingora's Server). Built from CLI options or in
 * code, it holds the ServerConf and the configuration file (for apps' own
 * settings), the services and their dependencies, and the execution phase.
 * `run()` starts it in-process; `runForever()` is the CLI path (run-forever.ts).
 */
import { ErrorType, PingoraError } from '@pingora-ts/error';
import type { Logger } from 'pino';
import { DependencyGraph } from '../services/dependency-graph.ts';
import type { AddServiceOptions, Service, ServiceHandle } from '../services/service.ts';
import { parseServerArgs, type ServerOptions } from './cli-options.ts';
import { ConfigKeyClaims, type UnclaimedKeys } from './config-keys.ts';
import type { ConfigSchema } from './config-schema.ts';
import { ConfigSource } from './config-source.ts';
import { isDaemonChild } from './daemon.ts';
import { ExecutionPhase, type PhaseEvent, phaseChannel } from './execution-phase.ts';
import { type ExitHook, ExitHooks, type ExitInfo } from './exit-hooks.ts';
import { createServerLogger } from './logger.ts';
import { exitWithError, exitWithUsage, runForever } from './run-forever.ts';
import {
  DEFAULT_SERVER_CONF,
  readServerConf,
  type ServerConf,
  serverConfSchema,
  serverConfWith,
} from './server-conf.ts';
import { type RunningServer, ServerRun } from './server-run.ts';
import {
  checkThreadEndpoints,
  mainThreadServices,
  type ThreadPlan,
  type ThreadPoolService,
} from './threads.ts';

export interface ServerInit {
  /** Parsed command line; `conf` names the YAML file to load. */
  options?: ServerOptions;
  /** The configuration from code (used instead of `options.conf`). Missing fields take defaults. */
  conf?: Partial<ServerConf>;
  /** YAML text to read the configuration from (instead of a file), e.g. in tests. */
  confText?: string;
  /**
   * Logger to use instead of the one built from the configuration, or a
   * function that builds it from the configuration once it is read.
   */
  logger?: Logger | ((conf: ServerConf) => Logger);
  /**
   * A top-level YAML key that neither the server nor an app section claims:
   * `'error'` (default) fails `-t` and the start naming its line, `'warn'`
   * logs it, `'ignore'` allows it (for a file shared with other tools).
   */
  unclaimedKeys?: UnclaimedKeys;
}

interface ServiceEntry {
  readonly service: Service;
  readonly dependsOn: string[];
}

export type PhaseListener = (phase: ExecutionPhase) => void;

export class Server {
  /** The server's settings, as Pingora's `server.configuration`. */
  readonly configuration: ServerConf;
  readonly options: ServerOptions;
  readonly logger: Logger;
  /** The parsed configuration file, when there is one. */
  readonly source: ConfigSource | undefined;
  readonly #log: Logger;
  readonly #services: ServiceEntry[] = [];
  readonly #graph = new DependencyGraph();
  readonly #listeners = new Set<PhaseListener>();
  readonly #exitHooks = new ExitHooks();
  /** Built by fromArgs(): configuration errors print and exit 1 instead of throwing. */
  #cli = false;
  #phase: ExecutionPhase = ExecutionPhase.Setup;
  #bootstrapped = false;
  #run: ServerRun | undefined;
  readonly #claims = new ConfigKeyClaims();
  readonly #unclaimedKeys: UnclaimedKeys;

  /** Throws a ConfigError (naming the key and line) for a bad configuration. */
  constructor(init: ServerInit = {}) {
    const options = init.options ?? {};
    this.options = options;
    let conf: ServerConf;
    if (init.conf !== undefined) {
      this.source = init.confText !== undefined ? ConfigSource.parse(init.confText) : undefined;
      conf = serverConfWith(init.conf);
    } else if (init.confText !== undefined) {
      this.source = ConfigSource.parse(init.confText);
      conf = readServerConf(this.source);
    } else if (options.conf !== undefined) {
      this.source = ConfigSource.load(options.conf);
      conf = readServerConf(this.source);
    } else {
      this.source = undefined;
      conf = DEFAULT_SERVER_CONF;
    }
    // The CLI flag only ever turns daemon mode on (Pingora's merge_with_opt).
    if (options.daemon === true) conf = { ...conf, daemon: true };
    this.configuration = Object.freeze(conf);
    this.#unclaimedKeys = init.unclaimedKeys ?? 'error';
    for (const key of serverConfSchema.keyPaths()) this.#claims.claim(key);
    const logger = init.logger;
    this.logger =
      typeof logger === 'function'
        ? logger(this.configuration)
        : (logger ?? createServerLogger(this.configuration));
    this.#log = this.logger.child({ service: 'server' });
    if (init.conf !== undefined && options.conf !== undefined) {
      this.#log.warn({ ignored: options.conf }, 'configuration given in code; ignoring --conf');
    }
  }

  /**
   * The CLI way (Pingora's `Server::new(Opt::parse_args())`): parses
   * `argv` (default: this process's arguments) and loads `-c FILE`. `--help`
   * prints the usage and exits 0; a bad argument or configuration prints one
   * message naming the key and line and exits 1.
   */
  static fromArgs(
    argv: readonly string[] = process.argv.slice(2),
    init: Omit<ServerInit, 'options'> = {},
  ): Server {
    let server: Server;
    try {
      const options = parseServerArgs(argv);
      if (options.help === true) exitWithUsage();
      server = new Server({ ...init, options });
    } catch (err) {
      exitWithError(err);
    }
    server.#cli = true;
    return server;
  }

  /** The current execution phase. */
  get phase(): ExecutionPhase {
    return this.#phase;
  }

  /** Calls `listener` on every phase change; returns the unsubscribe function. */
  onPhase(listener: PhaseListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Runs `hook` before runForever() exits the process, on every path (signals,
   * startup failure, uncaught exception or unhandled rejection): where an
   * error reporter flushes. All hooks together get EXIT_HOOKS_TIMEOUT_MS.
   * Returns the function that removes the hook.
   */
  onExit(hook: ExitHook): () => void {
    return this.#exitHooks.add(hook);
  }

  /** Runs the exit hooks (runForever calls this before process.exit). */
  runExitHooks(info: ExitInfo): Promise<void> {
    return this.#exitHooks.run(info, (err) => this.#log.error({ err }, 'exit hook failed'));
  }

  /**
   * Reads the app's own settings from the configuration file: the mapping
   * under `section` (or the file root), validated by `schema`. Without a file
   * every field takes its default. Throws a ConfigError naming key and line.
   */
  appConfig<T>(schema: ConfigSchema<T>, section?: string): T {
    if (section === undefined) {
      for (const key of schema.keyPaths()) this.#claims.claim(key.split('.')[0] as string, [key]);
    } else {
      this.#claims.claim(section, schema.keyPaths(section));
    }
    try {
      const source = this.source ?? ConfigSource.parse('', '<defaults>');
      return schema.read(source, section);
    } catch (err) {
      return this.#fail(err);
    }
  }

  /**
   * Marks top-level keys as read by this app without a schema (a section a
   * library parses itself), so the unclaimed-key check accepts them.
   */
  claimConfigKeys(...keys: string[]): void {
    for (const key of keys) this.#claims.claim(key);
  }

  /**
   * Checks that every top-level key of the file is claimed (server keys, app
   * sections read so far, `claimConfigKeys`). Run by `-t` and at start; an
   * unclaimed key is a ConfigError naming its line, with a "did you mean" hint.
   */
  checkConfigKeys(): void {
    if (this.source === undefined || this.#unclaimedKeys === 'ignore') return;
    if (this.#unclaimedKeys === 'warn') {
      for (const key of this.#claims.unclaimed(this.source)) {
        const where = this.source.where(key.node);
        this.#log.warn({ key: key.key, where, hint: key.hint }, 'unknown configuration key');
      }
      return;
    }
    const error = this.#claims.check(this.source);
    if (error !== undefined) this.#fail(error);
  }

  /** Adds a service; dependencies can be given now or through the returned handle. */
  addService(service: Service, options: AddServiceOptions = {}): ServiceHandle {
    if (this.#run !== undefined) {
      throw PingoraError.explain(
        ErrorType.InternalError,
        `cannot add service "${service.name}": the server is running`,
      );
    }
    try {
      this.#graph.add(service.name);
    } catch (err) {
      return this.#fail(err);
    }
    const entry: ServiceEntry = { service, dependsOn: [] };
    this.#services.push(entry);
    const graph = this.#graph;
    const isRunning = () => this.#run !== undefined;
    const handle: ServiceHandle = {
      name: service.name,
      addDependency(...others) {
        if (isRunning()) {
          throw PingoraError.explain(
            ErrorType.InternalError,
            `cannot add a dependency to "${service.name}": the server is running`,
          );
        }
        for (const other of others) {
          const name = typeof other === 'string' ? other : other.name;
          graph.addDependency(service.name, name);
          if (!entry.dependsOn.includes(name)) entry.dependsOn.push(name);
        }
        return this;
      },
    };
    if (options.dependsOn !== undefined) handle.addDependency(...options.dependsOn);
    return handle;
  }

  addServices(services: readonly Service[]): ServiceHandle[] {
    return services.map((s) => this.addService(s));
  }

  /**
   * Prepares the start: checks the service graph (a cycle or a missing
   * dependency is a ConfigError naming the services). Called by run() when
   * the app did not call it; calling it again re-checks the graph.
   */
  bootstrap(): void {
    if (this.#run !== undefined) return;
    if (!this.#bootstrapped) this.#setPhase(ExecutionPhase.Bootstrap);
    let order: string[];
    try {
      order = this.#graph.startOrder();
    } catch (err) {
      this.#log.error({ err }, 'bootstrap failed');
      this.#fail(err);
    }
    if (!this.#bootstrapped) {
      this.#bootstrapped = true;
      this.#log.info({ services: order }, 'bootstrap complete');
      this.#setPhase(ExecutionPhase.BootstrapComplete);
    }
  }

  /**
   * Validates everything the app registered (server conf, app settings read so
   * far, service graph) without starting anything: what `-t` runs.
   */
  testConfiguration(): void {
    this.checkConfigKeys();
    this.#graph.startOrder();
  }

  /**
   * Starts every service, dependencies first, in this process. `threads`
   * (runForever with `threads: N`): the main thread runs the pool and the
   * listeners only; the app's services run on the server threads.
   */
  run(threads?: { pool: ThreadPoolService; plan: ThreadPlan }): RunningServer {
    if (this.#run !== undefined) return this.#run;
    this.checkConfigKeys();
    this.bootstrap();
    const order = this.#graph.startOrder();
    const byName = new Map(this.#services.map((s) => [s.service.name, s]));
    let services: ServiceEntry[] = order.map((name) => byName.get(name) as ServiceEntry);
    if (threads !== undefined) {
      const all = services.map((s) => s.service);
      checkThreadEndpoints(threads.plan, all);
      services = mainThreadServices(threads.pool, threads.plan, all);
    }
    if (this.configuration.daemon && !isDaemonChild()) {
      this.#log.warn('daemon mode is applied by runForever(); run() stays in the foreground');
    }
    this.#log.info({ order }, 'starting services in dependency order');
    this.#run = new ServerRun({
      services,
      conf: this.configuration,
      logger: this.logger,
      setPhase: (p) => this.#setPhase(p),
    });
    return this.#run;
  }

  /**
   * The CLI path: with `-t` validates and exits 0 or 1; in daemon mode
   * detaches first; then runs until SIGINT (fast), SIGTERM (graceful) or
   * SIGQUIT (graceful upgrade) and exits the process.
   */
  runForever(): Promise<never> {
    return runForever(this);
  }

  /** The run started by run(), if any. */
  get running(): RunningServer | undefined {
    return this.#run;
  }

  /** In CLI mode a configuration error ends the process with its message; in code it throws. */
  #fail(err: unknown): never {
    if (this.#cli) exitWithError(err);
    throw err;
  }

  #setPhase(phase: ExecutionPhase): void {
    this.#phase = phase;
    this.#log.info({ phase }, `phase ${phase}`);
    if (phaseChannel.hasSubscribers) {
      const event: PhaseEvent = { phase, at: Date.now() };
      phaseChannel.publish(event);
    }
    for (const listener of this.#listeners) {
      try {
        listener(phase);
      } catch (err) {
        this.#log.error({ err }, 'phase listener threw');
      }
    }
  }
}
