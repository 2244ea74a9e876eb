import { SingleBar } from "cli-progress";

/**
 * Progress of long work on stderr: a bar redrawn in place on a terminal (cli-progress), and a
 * line at every tenth on a pipe or a log, where redrawing would fill the file.
 */
export class Progress {
  private readonly bar: SingleBar | undefined;
  private shownTenth = -1;

  constructor(
    private readonly total: number,
    private readonly describe: (done: number) => string,
    stream: NodeJS.WriteStream = process.stderr,
  ) {
    if (stream.isTTY) {
      this.bar = new SingleBar({ format: "[{bar}] {value}/{total} {percentage}%  {detail}", hideCursor: true, stream, barsize: 30 });
      this.bar.start(Math.max(total, 1), 0, { detail: "" });
    }
  }

  update(done: number): void {
    if (this.bar) {
      this.bar.update(done, { detail: this.describe(done) });
      return;
    }
    const share = this.total === 0 ? 1 : done / this.total;
    const tenth = Math.floor(share * 10);
    if (tenth > this.shownTenth) {
      this.shownTenth = tenth;
      process.stderr.write(`${done}/${this.total} ${Math.floor(share * 100)}%  ${this.describe(done)}\n`);
    }
  }

  stop(done: number): void {
    this.shownTenth = -1;
    this.update(done);
    this.bar?.stop();
  }
}
