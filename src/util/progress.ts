/**
 * Progress for long work: count, rate and time left on stderr.
 * On a terminal the line redraws in place; otherwise a line is printed at most every `intervalMs`, and a line
 * is never printed twice (the final line only when something changed since the last one).
 * Silent when CAPMIN_QUIET=1 (set by `--quiet`) or `quiet` is set.
 */
export class Progress {
  private done = 0;
  /** optional cost weighting of the items (e.g. simulated time per sample), so "time left" follows cost, not count */
  private work = 0;
  private totalWork = 0;
  private readonly start = Date.now();
  private lastPrint = 0;
  /** done count and status of the last printed line (-1: none yet) */
  private printedDone = -1;
  private printedStatus = '';
  private finished = false;
  private readonly tty: boolean;
  private readonly quiet: boolean;

  constructor(
    private readonly label: string,
    private total: number,
    private readonly unit = 'items',
    opts: { quiet?: boolean; intervalMs?: number; stream?: NodeJS.WriteStream } = {},
  ) {
    this.stream = opts.stream ?? process.stderr;
    this.tty = Boolean(this.stream.isTTY);
    this.quiet = opts.quiet ?? process.env.CAPMIN_QUIET === '1';
    this.intervalMs = opts.intervalMs ?? (this.tty ? 200 : 5000);
  }

  private readonly stream: NodeJS.WriteStream;
  private readonly intervalMs: number;

  /** Add `n` finished items (and optionally a status text) and redraw if due. */
  tick(n = 1, status = '', work = 0): void {
    this.done += n;
    this.work += work;
    const now = Date.now();
    const reachedEnd = this.done >= this.total && this.printedDone < this.total;
    if (now - this.lastPrint >= this.intervalMs || reachedEnd) {
      this.lastPrint = now;
      this.print(status);
    }
  }

  /** Change the total (e.g. when cached work is discovered). */
  setTotal(total: number): void {
    this.total = total;
  }

  /** Estimate time left from a cost per item instead of the item count; pass each item's cost to `tick`. */
  setWork(totalWork: number): void {
    this.totalWork = totalWork;
  }

  /** Remove cost that will not be spent (work found cached). */
  dropWork(work: number): void {
    this.totalWork = Math.max(0, this.totalWork - work);
  }

  /** Final line (printed once; piped output skips it when it would repeat the last line). */
  finish(status = ''): void {
    if (this.finished) return;
    this.finished = true;
    this.print(status, true);
  }

  /** Seconds since start. */
  elapsed(): number {
    return (Date.now() - this.start) / 1000;
  }

  line(status = ''): string {
    const el = this.elapsed();
    const rate = el > 0 ? this.done / el : 0;
    const left =
      this.totalWork > 0
        ? this.work > 0 ? ((this.totalWork - this.work) * el) / this.work : NaN
        : rate > 0 ? (this.total - this.done) / rate : NaN;
    const pct = this.total > 0 ? ((100 * this.done) / this.total).toFixed(1) : '100.0';
    return `${this.label} ${this.done}/${this.total} (${pct}%) ${rate.toFixed(rate < 10 ? 2 : 1)} ${this.unit}/s, ${fmtDuration(el)} elapsed, ${Number.isFinite(left) ? fmtDuration(left) : '?'} left${status ? '  ' + status : ''}`;
  }

  private print(status: string, final = false): void {
    if (this.quiet) return;
    const same = this.done === this.printedDone && status === this.printedStatus;
    this.printedDone = this.done;
    this.printedStatus = status;
    if (this.tty) {
      // redraw in place; the final call only ends the line when it would show the same count again
      if (same && final) this.stream.write('\n');
      else this.stream.write(`\r\x1b[K${this.line(status)}${final ? '\n' : ''}`);
      return;
    }
    if (!same) this.stream.write(this.line(status) + '\n');
  }
}

/** `1h02m`, `3m05s`, `12.3s`. */
export function fmtDuration(s: number): string {
  if (!Number.isFinite(s)) return '?';
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(Math.floor(s % 60)).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}
