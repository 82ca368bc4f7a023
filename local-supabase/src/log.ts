/** Readable, one-line logs with a component tag; no JSON noise for a person at a terminal. */
export type Logger = {
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string, err?: unknown): void;
  debug(msg: string): void;
  child(tag: string): Logger;
};

const levels = { debug: 10, info: 20, warn: 30, error: 40 } as const;

export function createLogger(tag: string, level: keyof typeof levels = "info", quiet = false): Logger {
  const min = levels[level];
  const write = (lvl: keyof typeof levels, msg: string) => {
    if (quiet || levels[lvl] < min) return;
    const time = new Date().toISOString().slice(11, 19);
    const line = `${time} ${lvl.padEnd(5)} [${tag}] ${msg}\n`;
    (lvl === "error" || lvl === "warn" ? process.stderr : process.stdout).write(line);
  };
  return {
    info: (m) => write("info", m),
    warn: (m) => write("warn", m),
    debug: (m) => write("debug", m),
    error: (m, err) => write("error", err ? `${m}: ${err instanceof Error ? err.message : String(err)}` : m),
    child: (t) => createLogger(`${tag}:${t}`, level, quiet),
  };
}
