// The test report of GET /jobs/{id}/tests: each test with its outcome and time, failures first. Reads the common
// shapes (a list, or an object with `tests` or `cases`; `name`/`nodeid`, `outcome`/`status`/`result`,
// `duration_seconds`/`duration`/`time`) so that it does not depend on one server version's field names.

import { el } from './format.js';

const FAILED = new Set(['failed', 'failure', 'error', 'errored']);

function normalise(report) {
  const list = Array.isArray(report) ? report : report.tests || report.cases || report.test_cases || [];
  return list.map((t) => ({
    name: t.name || t.nodeid || t.id || [t.classname, t.test].filter(Boolean).join('::') || '?',
    outcome: String(t.outcome || t.status || t.result || 'unknown').toLowerCase(),
    seconds: t.duration_seconds ?? t.duration ?? t.time ?? t.seconds ?? null,
  }));
}

export function renderTestReport(section, report) {
  const tests = normalise(report);
  if (tests.length === 0) {
    section.classList.add('hidden');
    return;
  }
  const failed = tests.filter((t) => FAILED.has(t.outcome));
  const ordered = [...failed, ...tests.filter((t) => !FAILED.has(t.outcome))];
  const counts = {};
  for (const t of tests) counts[t.outcome] = (counts[t.outcome] || 0) + 1;
  const title = el('h2', null, 'Tests');
  const summary = el('p', 'muted', Object.entries(counts).map(([k, v]) => `${v} ${k}`).join(', '));
  const table = el('table');
  for (const t of ordered) {
    const row = el('tr');
    row.append(el('td', `outcome-${FAILED.has(t.outcome) ? 'failed' : t.outcome}`, t.outcome), el('td', null, t.name),
      el('td', 'muted', typeof t.seconds === 'number' ? `${t.seconds.toFixed(3)} s` : ''));
    table.appendChild(row);
  }
  section.replaceChildren(title, summary, table);
  section.classList.remove('hidden');
}
