// The failure-first ending of a failed job, shown above its log as `ci submit test`, `ci wait` and `ci rerun` end
// on stderr: each failed test with the first lines of its message, the counts, and how to rerun just those tests.

import { el } from './format.js';

const FAILED = new Set(['failed', 'error']);
export const MESSAGE_LINES = 4;
const MAX_TESTS = 20;

/** The counts line, as the client prints it: "5 passed, 0 failed, 0 skipped, 1 flaky in 1.2s". */
export function countsLine(report) {
  const flaky = report.flaky ? `, ${report.flaky} flaky` : '';
  const duration = typeof report.duration === 'number' ? ` in ${report.duration.toFixed(1)}s` : '';
  return `${report.passed ?? 0} passed, ${report.failed ?? 0} failed, ${report.skipped ?? 0} skipped${flaky}${duration}`;
}

/** The first non-empty lines of a failure's message. */
export function messageLines(message) {
  return String(message || '').split('\n').map((line) => line.trimEnd()).filter((line) => line.length > 0).slice(0, MESSAGE_LINES);
}

/** Fills `section` for a failed job (`success === false`) with failed tests; hides it otherwise. */
export function renderFailureSummary(section, report, jobId, success) {
  const failed = (report && Array.isArray(report.tests) ? report.tests : []).filter((t) => FAILED.has(String(t.outcome).toLowerCase()));
  if (success !== false || !report) {
    section.classList.add('hidden');
    return;
  }
  const children = [el('h2', null, 'Failed tests')];
  for (const test of failed.slice(0, MAX_TESTS)) {
    const item = el('div', 'failure');
    item.appendChild(el('div', 'failure-name', `${String(test.outcome).toUpperCase()} ${test.name}`));
    for (const line of messageLines(test.message)) item.appendChild(el('div', 'test-message', line));
    children.push(item);
  }
  if (failed.length > MAX_TESTS || (report.failed ?? 0) > failed.length) children.push(el('p', 'muted', `... see all with: ci tests ${jobId} --failed`));
  children.push(el('p', 'failure-counts', countsLine(report)));
  if (failed.length > 0) children.push(el('p', 'muted rerun-hint', `Rerun the failed tests with: ci rerun ${jobId} --failed`));
  section.replaceChildren(...children);
  section.classList.remove('hidden');
}
