/**
 * @module The SDK's log (the reference's `logLevel`): lines at or above the chosen level go to the
 * console, prefixed `[atrium]`; `silent` writes nothing. Default `warn`.
 */

/** From the most to the least verbose; `silent` turns the log off. */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const DEFAULT_LOG_LEVEL: LogLevel = 'warn';

type WritingLevel = Exclude<LogLevel, 'silent'>;

/** Where each level is written; `trace` goes to `console.debug` (console.trace prints a stack). */
const CONSOLE_METHOD: Record<WritingLevel, 'debug' | 'info' | 'warn' | 'error'> = {
  trace: 'debug',
  debug: 'debug',
  info: 'info',
  warn: 'warn',
  error: 'error',
};

export class Logger {
  readonly level: LogLevel;
  private readonly threshold: number;

  constructor(level: LogLevel = DEFAULT_LOG_LEVEL) {
    if (!LOG_LEVELS.includes(level)) throw new TypeError(`logLevel must be one of ${LOG_LEVELS.join(', ')}`);
    this.level = level;
    this.threshold = LOG_LEVELS.indexOf(level);
  }

  enabled(level: WritingLevel): boolean {
    return LOG_LEVELS.indexOf(level) >= this.threshold;
  }

  trace(message: string, ...details: unknown[]): void {
    this.write('trace', message, details);
  }

  debug(message: string, ...details: unknown[]): void {
    this.write('debug', message, details);
  }

  info(message: string, ...details: unknown[]): void {
    this.write('info', message, details);
  }

  warn(message: string, ...details: unknown[]): void {
    this.write('warn', message, details);
  }

  error(message: string, ...details: unknown[]): void {
    this.write('error', message, details);
  }

  private write(level: WritingLevel, message: string, details: unknown[]): void {
    if (!this.enabled(level)) return;
    // Looked up on each call, so a console replaced after joining (tests, log collectors) is used.
    console[CONSOLE_METHOD[level]](`[atrium] ${level}: ${message}`, ...details);
  }
}
