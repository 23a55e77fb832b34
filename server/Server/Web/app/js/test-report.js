// The test report of GET /jobs/{id}/tests ({passed, failed, skipped, duration, truncated, tests: [{name, outcome,
// time, message}]}): the counts, then each test with its outcome and time, failures and errors first.

import { el } from './format.js';
import { countsLine } from './failure-summary.js';

const FAILED = new Set(['failed', 'error']);

function normalise(report) {
  const list = Array.isArray(report) ? report : report.tests || [];
  return list.map((t) => ({
    name: t.name || '?',
    outcome: String(t.outcome || 'unknown').toLowerCase(),
    seconds: typeof t.time === 'number' ? t.time : null,
    message: t.message || '',
    flaky: t.flaky === true,
    attempts: t.attempts,
  }));
}

export function renderTestReport(section, report) {
  const tests = normalise(report);
  if (tests.length === 0 && !report.passed && !report.failed && !report.skipped) {
    section.classList.add('hidden');
    return;
  }
  const ordered = [...tests.filter((t) => FAILED.has(t.outcome)), ...tests.filter((t) => !FAILED.has(t.outcome))];
  const title = el('h2', null, 'Tests');
  const summary = el('p', 'muted', countsLine(report) + (report.truncated ? ' (only the first tests are listed)' : ''));
  const table = el('table');
  for (const t of ordered) {
    const row = el('tr');
    row.className = `test-${t.outcome}`;
    const name = el('td', null, t.name);
    if (t.message) name.appendChild(el('div', 'test-message', t.message));
    if (t.flaky) name.appendChild(el('div', 'muted', `flaky: passed on attempt ${t.attempts ?? 2}`));
    row.append(el('td', `outcome-${t.outcome}`, t.outcome), name,
      el('td', 'muted', t.seconds === null ? '' : `${t.seconds.toFixed(3)} s`));
    table.appendChild(row);
  }
  section.replaceChildren(title, summary, table);
  section.classList.remove('hidden');
}
