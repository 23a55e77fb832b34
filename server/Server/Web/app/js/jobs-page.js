// /ui/: the caller's jobs, newest first, as `ci list` shows them, refreshed every two seconds.

import { api } from './api.js';
import { el, formatTime, gitText, statusClass, successMark, STATUSES } from './format.js';

const REFRESH_MS = 2000;
const LIMIT = 200;

export class JobsPage {
  constructor(main, navigate) {
    this.navigate = navigate;
    this.status = new URLSearchParams(location.search).get('status') || '';
    if (!STATUSES.includes(this.status)) this.status = '';

    const toolbar = el('div', 'toolbar');
    toolbar.appendChild(el('h2', null, 'Jobs'));
    const label = el('label', null, 'Status ');
    const select = el('select');
    select.id = 'status-filter';
    for (const value of ['', ...STATUSES]) {
      const option = el('option', null, value || 'all');
      option.value = value;
      select.appendChild(option);
    }
    select.value = this.status;
    select.addEventListener('change', () => {
      this.status = select.value;
      history.replaceState(null, '', this.status ? `/ui/?status=${this.status}` : '/ui/');
      this.refresh();
    });
    label.appendChild(select);
    toolbar.appendChild(label);
    this.note = el('span', 'muted');
    toolbar.appendChild(this.note);

    this.table = el('table', 'jobs');
    const head = el('tr');
    for (const title of ['JOB ID', 'STATUS', 'START TIME', 'END TIME', 'SUCCESS', 'COMMIT']) head.appendChild(el('th', null, title));
    const thead = el('thead');
    thead.appendChild(head);
    this.body = el('tbody');
    this.table.append(thead, this.body);
    this.empty = el('p', 'muted hidden', 'No jobs found.');
    this.error = el('p', 'error');
    main.replaceChildren(toolbar, this.table, this.empty, this.error);
    this.refresh();
  }

  async refresh() {
    clearTimeout(this.timer);
    if (this.disposed) return;
    const query = new URLSearchParams({ limit: String(LIMIT) });
    if (this.status) query.set('status', this.status);
    try {
      const jobs = await api(`/jobs?${query}`);
      if (this.disposed) return;
      this.render(jobs);
      this.error.textContent = '';
    } catch (e) {
      if (this.disposed) return;
      this.error.textContent = e.message;
    }
    this.timer = setTimeout(() => this.refresh(), REFRESH_MS);
  }

  render(jobs) {
    const rows = jobs.map((job) => {
      const row = el('tr');
      row.dataset.jobId = job.job_id;
      const idCell = el('td');
      const link = el('a', null, job.job_id);
      link.href = `/ui/jobs/${job.job_id}`;
      idCell.appendChild(link);
      const mark = successMark(job.success);
      row.append(idCell, el('td', `status ${statusClass(job)}`, job.status), el('td', null, formatTime(job.start_time)),
        el('td', null, formatTime(job.end_time)), el('td', mark.cls, mark.text), el('td', 'git', gitText(job)));
      return row;
    });
    this.body.replaceChildren(...rows);
    this.empty.classList.toggle('hidden', jobs.length > 0);
    this.table.classList.toggle('hidden', jobs.length === 0);
    this.note.textContent = jobs.length === LIMIT ? `newest ${LIMIT}` : '';
  }

  dispose() {
    this.disposed = true;
    clearTimeout(this.timer);
  }
}
