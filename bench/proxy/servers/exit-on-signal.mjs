/**
 * Preloaded (`--import`) into a Node peer that is CPU-profiled: SIGUSR2 makes
 * it exit normally, which is when `--cpu-prof` writes its profile (a process
 * killed by SIGTERM's default action writes nothing). A signal of its own
 * keeps clear of any SIGTERM/SIGINT handling of the server itself. Plain
 * JavaScript, so a profiled JavaScript peer does not load the type stripper.
 */
process.on('SIGUSR2', () => process.exit(0));
