// The words, marks and times of `ci list`, for the browser.

const pad = (n) => String(n).padStart(2, '0');

/** `YYYY-MM-DD HH:MM:SS` in UTC, or N/A: the same as `ci list`. */
export function formatTime(iso) {
  if (!iso) return 'N/A';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return 'N/A';
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}

/** ✓, ✗ or - with its colour class. */
export function successMark(success) {
  if (success === true) return { text: '✓', cls: 'mark-ok' };
  if (success === false) return { text: '✗', cls: 'mark-bad' };
  return { text: '-', cls: 'muted' };
}

/** The git state as `ci list` shows it: short commit, `*` when the tree differed, then the branch; '-' outside git. */
export function gitText(job) {
  if (!job.git_commit) return '-';
  const commit = job.git_commit.slice(0, 10) + (job.git_dirty ? '*' : '');
  return `${commit} ${job.git_branch ?? '(detached)'}`;
}

/** The status colour `ci list` uses: green passed, red failed, yellow in progress, grey cancelled. */
export function statusClass(job) {
  switch (job.status) {
    case 'completed':
      return job.success === true ? 'status-ok' : 'status-bad';
    case 'failed':
      return 'status-bad';
    case 'queued':
    case 'running':
      return 'status-live';
    default:
      return 'status-grey';
  }
}

export const isFinal = (status) => status === 'completed' || status === 'failed' || status === 'cancelled';

export const STATUSES = ['queued', 'running', 'completed', 'failed', 'cancelled'];

/** A duration between two ISO times as `1m 05s`, or '' when either is missing. */
export function formatDuration(startIso, endIso) {
  if (!startIso) return '';
  const ms = (endIso ? new Date(endIso) : new Date()) - new Date(startIso);
  if (!(ms >= 0)) return '';
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m ${pad(s % 60)}s`;
}

/** Creates an element with a class and text. */
export function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}
