import readline from 'node:readline';
import { CliExit, EXIT } from './exit-codes.js';

/**
 * Questions on stderr, answers from stdin, one line each. Works at a terminal and with answers piped
 * in (then each answer is echoed after its question, so the transcript reads the same). Piped, one
 * reader serves every question: separate readers on one stdin would lose lines buffered by the first.
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
    this.#rl = readline.createInterface({ input: this.input, terminal: false });
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
    if (this.input.isTTY) return this.#askAtTerminal(question);
    this.#reader();
    this.output.write(question);
    const line = this.#lines.length ? this.#lines.shift()! : this.#ended ? null : await new Promise<string | null>((r) => this.#waiting.push(r));
    this.output.write(`${line ?? ''}\n`);
    return line;
  }

  /**
   * At a terminal, a reader for this one question: the question's last line is readline's own prompt,
   * so editing the answer (a backspace, the arrow keys) redraws the question instead of replacing it
   * with readline's default "> "; and the reader closes with the answer, so while a job runs the
   * terminal is back in its normal mode and Ctrl-C is a signal again (which cancels the job). Ctrl-C
   * at the question (a key press while the reader has the terminal) ends the command with 130, as
   * Ctrl-C does anywhere else; Ctrl-D is no answer.
   */
  #askAtTerminal(question: string): Promise<string | null> {
    const cut = question.lastIndexOf('\n') + 1;
    this.output.write(question.slice(0, cut));
    const rl = readline.createInterface({ input: this.input, output: this.output, terminal: true });
    return new Promise((resolve, reject) => {
      let answered = false;
      rl.on('SIGINT', () => {
        answered = true;
        rl.close();
        this.output.write('^C\n');
        reject(new CliExit(EXIT.interrupted, 'Interrupted.'));
      });
      rl.on('close', () => {
        if (answered) return;
        this.output.write('\n');
        resolve(null);
      });
      rl.question(question.slice(cut), (line) => {
        answered = true;
        rl.close();
        resolve(line);
      });
    });
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
