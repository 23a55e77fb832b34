// The test report of GET /jobs/{id}/tests ({passed, failed, skipped, duration, truncated, tests: [{name, outcome,
// time, message}]}): the counts, then each test with its outcome and time, failures and errors first.

import { el } from './format.js';

const FAILED = new Set(['failed', 'error']);

function normalise(report) {
  const list = Array.isArray(report) ? report : report.tests || [];
  return list.map((t) => ({
    name: t.name || '?',
    outcome: String(t.outcome || 'unknown').toLowerCase(),
    seconds: typeof t.time === 'number' ? t.time : null,
    message: t.message || '',
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
  const counts = [`${report.passed ?? 0} passed`, `${report.failed ?? 0} failed`, `${report.skipped ?? 0} skipped`];
  if (typeof report.duration === 'number') counts.push(`in ${report.duration.toFixed(1)}s`);
  const summary = el('p', 'muted', counts.join(', ') + (report.truncated ? ' (only the first tests are listed)' : ''));
  const table = el('table');
  for (const t of ordered) {
    const row = el('tr');
    row.className = `test-${t.outcome}`;
    const name = el('td', null, t.name);
    if (t.message) name.appendChild(el('div', 'test-message', t.message));
    row.append(el('td', `outcome-${t.outcome}`, t.outcome), name,
      el('td', 'muted', t.seconds === null ? '' : `${t.seconds.toFixed(3)} s`));
    table.appendChild(row);
  }
  section.replaceChildren(title, summary, table);
  section.classList.remove('hidden');
}
