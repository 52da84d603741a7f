/**
 * Under CI=true a skipped or todo test is a failure: a suite that quietly does not run must not
 * look green. This reporter counts outcomes, fails the run on any skip, and ends with one plain
 * summary line ("tests: N passed, N failed, N skipped") that CI reads.
 */
import type { Reporter, TestCase } from 'vitest/node';

export default class NoSkipsReporter implements Reporter {
  private readonly skipped: string[] = [];
  private passed = 0;
  private failed = 0;

  onTestCaseResult(testCase: TestCase): void {
    const state = testCase.result().state;
    if (state === 'passed') this.passed++;
    else if (state === 'failed') this.failed++;
    else if (state === 'skipped') this.skipped.push(`${testCase.module.moduleId} › ${testCase.fullName}`);
  }

  onTestRunEnd(): void {
    if (this.skipped.length > 0) {
      process.stderr.write(`\n${this.skipped.length} test(s) skipped under CI=true (not allowed):\n`);
      for (const name of this.skipped) process.stderr.write(`  - ${name}\n`);
      process.exitCode = 1;
    }
    process.stdout.write(
      `\ntests: ${this.passed} passed, ${this.failed} failed, ${this.skipped.length} skipped\n`,
    );
  }
}
