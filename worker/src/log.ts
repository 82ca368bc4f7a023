export type LogLevel = "debug" | "info" | "warn" | "error";
export type Logger = {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(scope: string): Logger;
};

const order: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export type LogFormat = "text" | "json";

/**
 * One line per event on stderr: readable text for a person at a terminal (the default, as `npm start`
 * prints), or JSON (`LOG_FORMAT=json`) for a supervisor or log shipper in production.
 */
export function createLogger(scope = "worker", level: LogLevel = "info", format: LogFormat = process.env.LOG_FORMAT === "json" ? "json" : "text"): Logger {
  const emit = (lvl: LogLevel, msg: string, fields?: Record<string, unknown>) => {
    if (order[lvl] < order[level]) return;
    const now = new Date().toISOString();
    if (format === "json") {
      process.stderr.write(JSON.stringify({ t: now, level: lvl, scope, msg, ...fields }) + "\n");
      return;
    }
    const extra = fields
      ? " " + Object.entries(fields).map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`).join(" ")
      : "";
    process.stderr.write(`${now.slice(11, 19)} ${lvl.padEnd(5)} [${scope}] ${msg}${extra}\n`);
  };
  return {
    debug: (m, f) => emit("debug", m, f),
    info: (m, f) => emit("info", m, f),
    warn: (m, f) => emit("warn", m, f),
    error: (m, f) => emit("error", m, f),
    child: (s) => createLogger(`${scope}:${s}`, level, format),
  };
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {}, child: () => silentLogger };
