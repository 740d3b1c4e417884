import readline from 'node:readline';

/**
 * Questions on stderr, answers from stdin, one line each. Works at a terminal and with answers piped
 * in (then each answer is echoed after its question, so the transcript reads the same). One reader
 * serves every question: separate readers on one stdin would lose lines buffered by the first.
 */
export class Prompter {
  #rl: readline.Interface | undefined;
  readonly #lines: string[] = [];
  readonly #waiting: Array<(line: string | null) => void> = [];
  #ended = false;

  constructor(
    private readonly input: NodeJS.ReadStream = process.stdin,
    private readonly output: NodeJS.WriteStream = process.stderr,
  ) {}

  #reader(): void {
    if (this.#rl) return;
    this.#rl = readline.createInterface({ input: this.input, output: this.input.isTTY ? this.output : undefined, terminal: Boolean(this.input.isTTY) });
    this.#rl.on('line', (line) => {
      const next = this.#waiting.shift();
      if (next) next(line);
      else this.#lines.push(line);
    });
    this.#rl.on('close', () => {
      this.#ended = true;
      for (const w of this.#waiting.splice(0)) w(null);
    });
  }

  /** The next line typed or piped after showing `question`; null when input has ended. */
  async ask(question: string): Promise<string | null> {
    this.#reader();
    this.output.write(question);
    const line = this.#lines.length ? this.#lines.shift()! : this.#ended ? null : await new Promise<string | null>((r) => this.#waiting.push(r));
    if (!this.input.isTTY) this.output.write((line ?? '') + '\n');
    return line;
  }

  /** Yes only for an explicit y/yes; no answer (end of input) is no. */
  async confirm(question: string): Promise<boolean> {
    const answer = await this.ask(`${question} [y/N] `);
    return /^\s*y(es)?\s*$/i.test(answer ?? '');
  }

  close(): void {
    this.#rl?.close();
  }
}
