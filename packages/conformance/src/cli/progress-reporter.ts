import type { Writable } from 'node:stream';
import type { SerializedError } from 'vitest';
import type { Reporter, TestCase, TestModule, TestSuite } from 'vitest/node';
import { CAPABILITIES_META, suiteOf } from '../certification/settings.js';
import { type TestResult, trimDiff } from './report.js';

const MARK = { passed: '✓', failed: '✗', skipped: '↓' } as const;

/**
 * Prints one line per test with its outcome and duration; on a terminal, also a live counter that the lines
 * scroll above. Collects the results for the reports.
 */
export class ProgressReporter implements Reporter {
  readonly #results = new Map<string, TestResult>();
  readonly #errors: string[] = [];
  readonly #out: Writable & { isTTY?: boolean };
  #total = 0;
  #capabilities: Readonly<Record<string, boolean>> | undefined;
  #current = '';

  constructor(out: Writable & { isTTY?: boolean }) {
    this.#out = out;
  }

  /** One result per test, in the order they finished. */
  get results(): TestResult[] {
    return [...this.#results.values()];
  }

  /**
   * Errors outside any test: a suite's set-up or clean-up hook, a test file that did not load, an unhandled
   * error. Each fails the run; a suite whose set-up failed also reports its tests as failed, not as skipped.
   */
  get errors(): readonly string[] {
    return this.#errors;
  }

  /** The backend's capabilities, as the first test that made an API reported them in its task meta. */
  get capabilities(): Readonly<Record<string, boolean>> | undefined {
    return this.#capabilities;
  }

  onTestModuleCollected(module: TestModule): void {
    this.#total += [...module.children.allTests()].length;
    this.#counter();
  }

  onTestCaseReady(test: TestCase): void {
    this.#current = test.name;
    this.#counter();
  }

  onTestCaseResult(test: TestCase): void {
    this.#capabilities ??= test.meta()[CAPABILITIES_META];
    const outcome = test.result();
    const state = outcome.state === 'passed' || outcome.state === 'failed' ? outcome.state : 'skipped';
    const durationMs = Math.round(test.diagnostic()?.duration ?? 0);
    const suite = suiteOf(test.fullName);
    const error = outcome.errors?.[0];
    const note = outcome.state === 'skipped' ? outcome.note : undefined;
    const group = test.fullName.slice(0, -test.name.length).replace(/ > $/, '');
    const result: TestResult = {
      suite,
      name: test.name,
      fullName: test.fullName,
      ...(group === '' ? {} : { group }),
      state,
      durationMs,
      ...(error === undefined ? {} : { error: errorText(error) }),
      ...(error?.diff === undefined ? {} : { diff: trimDiff(error.diff) }),
      ...(note === undefined ? {} : { note }),
    };
    // A cancelled run reports the tests it had not finished again, as skipped; a finished outcome stands.
    const known = this.#results.get(test.id);
    if (known !== undefined && (known.state !== 'skipped' || state === 'skipped')) return;
    this.#results.set(test.id, result);
    this.#clearCounter();
    const suffix = state === 'skipped' ? (note ? `  [${note}]` : '') : `  (${durationMs} ms)`;
    this.#out.write(`  ${MARK[state]} ${suite} › ${test.name}${suffix}\n`);
    if (result.error !== undefined)
      this.#out.write(`      ${result.error.split('\n').slice(0, 6).join('\n      ')}\n`);
    if (result.diff !== undefined)
      this.#out.write(`\n        ${result.diff.split('\n').join('\n        ')}\n\n`);
    this.#counter();
  }

  onTestSuiteResult(suite: TestSuite): void {
    this.#hooksFailed(suite, `${suiteOf(suite.fullName)} › ${suite.name}: `);
  }

  onTestModuleEnd(module: TestModule): void {
    this.#hooksFailed(module, '');
  }

  onTestRunEnd(_modules: readonly TestModule[], unhandled: readonly SerializedError[]): void {
    for (const error of unhandled) this.#runError(`unhandled: ${errorText(error)}`);
    this.#clearCounter();
  }

  /**
   * Records the errors of a suite's or a file's own hooks (or of the file's loading). Vitest skips, without a note,
   * every test under a failed beforeAll: none of them was proven, so they fail with its cause.
   */
  #hooksFailed(where: TestSuite | TestModule, prefix: string): void {
    const errors = where.errors();
    const [first] = errors;
    if (first === undefined) return;
    for (const error of errors) this.#runError(`${prefix}${errorText(error)}`);
    const cause = errorText(first);
    for (const test of where.children.allTests()) {
      const known = this.#results.get(test.id);
      if (known?.state !== 'skipped' || known.note !== undefined || test.options.mode === 'skip') continue;
      this.#results.set(test.id, {
        ...known,
        state: 'failed',
        error: `not run: the set-up failed: ${cause}`,
      });
    }
  }

  #runError(text: string): void {
    this.#errors.push(text);
    this.#clearCounter();
    this.#out.write(`  ${MARK.failed} ${text.split('\n').slice(0, 6).join('\n      ')}\n`);
    this.#counter();
  }

  #counter(): void {
    if (!this.#out.isTTY) return;
    const done = this.#results.size;
    const failed = this.results.filter((r) => r.state === 'failed').length;
    const line = `[${done}/${this.#total}] ${failed} failed · ${this.#current}`;
    this.#out.write(`\r\x1b[2K${line.slice(0, (process.stdout.columns ?? 100) - 1)}`);
  }

  #clearCounter(): void {
    if (this.#out.isTTY) this.#out.write('\r\x1b[2K');
  }
}

function errorText(error: SerializedError): string {
  return `${error.name ?? 'Error'}: ${error.message ?? ''}`;
}
