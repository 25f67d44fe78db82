/**
 * `sh -c WATCHDOG watchdog <postgres> <args…>`: the server's parent, spawned detached so the
 * server has its own session and process group (a terminal's Ctrl-C reaches only the service,
 * which drains before stopping it). Its stdin is a pipe from the service: end of file (a
 * stop, or the service dying, even by SIGKILL) makes it stop the server with SIGINT (fast
 * shutdown) and exit with the server's status. Line 1 of its stdout is the server's pid.
 */
export const WATCHDOG = [
  // POSIX gives background jobs /dev/null as stdin; the pipe is kept on fd 3 for the reader.
  "exec 3<&0",
  '"$@" </dev/null >&2 3<&- &',
  "pg=$!",
  'echo "$pg"',
  '{ read -r _ <&3; kill -INT "$pg" 2>/dev/null; } &',
  "reader=$!",
  'wait "$pg"',
  "status=$?",
  // The server ended by itself: the reader must not signal a pid that may be reused.
  'kill "$reader" 2>/dev/null',
  'exit "$status"',
].join("\n");
