// /ui/jobs/{id}: the job's status and times, its log streaming live (Server-Sent Events, resumed by the browser
// with Last-Event-ID), Cancel while it is queued or running, and the test report when the server has one.

import { api, ApiError } from './api.js';
import { el, formatDuration, formatTime, gitText, isFinal, statusClass, successMark } from './format.js';
import { LogView } from './log-view.js';
import { renderTestReport } from './test-report.js';
import { renderArtifacts } from './artifacts.js';
import { renderFailureSummary } from './failure-summary.js';

const SUMMARY_REFRESH_MS = 2000;

export class JobPage {
  constructor(main, jobId) {
    this.main = main;
    this.jobId = jobId;
    this.start();
  }

  async start() {
    let job;
    try {
      job = await api(`/jobs/${encodeURIComponent(this.jobId)}`);
    } catch (e) {
      if (this.disposed) return;
      if (e instanceof ApiError && e.status === 404) {
        this.main.replaceChildren(el('p', 'not-found', 'Job not found'));
      } else {
        this.main.replaceChildren(el('p', 'error', e.message));
      }
      return;
    }
    if (this.disposed) return;
    document.title = `ci · job ${job.job_id.slice(0, 8)}`;
    this.build();
    this.show(job);
    this.openStream();
    if (isFinal(job.status)) this.loadTests();
    this.onHash = () => this.followHash();
    window.addEventListener('hashchange', this.onHash);
    this.followHash();
  }

  build() {
    const head = el('div', 'job-head');
    this.title = el('h1');
    this.statusEl = el('span', 'status');
    this.statusEl.id = 'job-status';
    const times = el('dl');
    const item = (name) => {
      const wrap = el('div');
      const value = el('dd');
      wrap.append(el('dt', null, name), value);
      times.appendChild(wrap);
      return value;
    };
    this.startEl = item('Started');
    this.endEl = item('Ended');
    this.durationEl = item('Duration');
    this.resultEl = item('Result');
    this.resultEl.id = 'job-result';
    this.gitEl = item('Commit');
    this.gitEl.id = 'job-git';
    this.cancelButton = el('button', 'danger hidden', 'Cancel');
    this.cancelButton.type = 'button';
    this.cancelButton.addEventListener('click', () => this.cancel());
    this.message = el('span', 'error');
    head.append(this.title, this.statusEl, times, this.cancelButton, this.message);

    this.logEl = el('div', 'log');
    this.logEl.id = 'log';
    this.logEl.tabIndex = 0;
    this.followButton = el('button', 'follow hidden', '↓ Follow');
    this.followButton.type = 'button';
    this.followButton.addEventListener('click', () => this.log.setFollow(true));
    this.logStatus = el('div', 'log-status', 'Connecting…');
    this.logStatus.id = 'log-status';
    this.tests = el('section', 'tests hidden');
    this.tests.id = 'tests';
    this.artifacts = el('section', 'artifacts hidden');
    this.artifacts.id = 'artifacts';
    this.failures = el('section', 'tests failures hidden');
    this.failures.id = 'failures';
    this.main.replaceChildren(head, this.failures, this.logEl, this.followButton, this.logStatus, this.tests, this.artifacts);
    this.log = new LogView(this.logEl, { onChange: () => this.showLogStatus() });
  }

  show(job) {
    this.job = job;
    this.title.textContent = `Job ${job.job_id}`;
    this.statusEl.textContent = job.status;
    this.statusEl.className = `status ${statusClass(job)}`;
    this.startEl.textContent = formatTime(job.start_time);
    this.endEl.textContent = formatTime(job.end_time);
    this.durationEl.textContent = formatDuration(job.start_time, job.end_time) || '-';
    const mark = successMark(job.success);
    this.resultEl.textContent = mark.text;
    this.resultEl.className = mark.cls;
    this.gitEl.textContent = gitText(job);
    this.gitEl.title = job.git_commit ?? '';
    this.cancelButton.classList.toggle('hidden', isFinal(job.status));
    clearTimeout(this.summaryTimer);
    if (!isFinal(job.status)) this.summaryTimer = setTimeout(() => this.refreshSummary(), SUMMARY_REFRESH_MS);
    this.showLogStatus();
  }

  async refreshSummary() {
    if (this.disposed) return;
    try {
      const job = await api(`/jobs/${this.jobId}`);
      if (this.disposed) return;
      const ended = isFinal(job.status) && !isFinal(this.job.status);
      this.show(job);
      if (ended) this.loadTests();
    } catch (e) {
      if (!this.disposed) this.message.textContent = e.message;
    }
  }

  openStream() {
    this.streamDone = false;
    this.source = new EventSource(`/jobs/${this.jobId}/stream?from_beginning=true`);
    this.source.onmessage = (event) => {
      let data;
      try {
        data = JSON.parse(event.data);
      } catch {
        return;
      }
      if (data.type === 'log') {
        this.log.append(data.data);
        if (this.job.status === 'queued') this.refreshSummary();
        this.showLogStatus();
      } else if (data.type === 'complete') {
        this.streamDone = true;
        this.source.close();
        this.refreshSummary();
      }
    };
    // The browser reconnects by itself (sending Last-Event-ID); a refused stream (401, 404) closes for good.
    this.source.onerror = () => {
      if (this.source.readyState === EventSource.CLOSED && !this.streamDone) this.refreshSummary();
      this.showLogStatus();
    };
  }

  showLogStatus() {
    if (!this.log) return;
    const lines = this.log.lineCount;
    const parts = [];
    if (this.job.status === 'queued' && lines === 0) parts.push('Waiting for the job to start…');
    else parts.push(`${lines.toLocaleString('en')} lines`);
    if (this.streamDone) parts.push('end of log');
    else if (this.source && this.source.readyState === EventSource.CONNECTING) parts.push('reconnecting…');
    else parts.push(this.log.follow ? 'following' : 'paused (scrolled up)');
    this.logStatus.textContent = parts.join(' · ');
    this.followButton.classList.toggle('hidden', this.log.follow || this.streamDone);
  }

  followHash() {
    const match = /^#L(\d+)$/.exec(location.hash);
    if (match) this.log.goToLine(Number(match[1]));
  }

  async cancel() {
    this.cancelButton.disabled = true;
    this.message.textContent = '';
    try {
      this.show(await api(`/jobs/${this.jobId}/cancel`, { method: 'POST' }));
    } catch (e) {
      this.message.textContent = e.message;
    } finally {
      this.cancelButton.disabled = false;
    }
  }

  async loadTests() {
    // GET /jobs/{id}/tests exists on servers that keep test reports; elsewhere it is 404 and nothing shows.
    try {
      const report = await api(`/jobs/${this.jobId}/tests`);
      if (this.disposed || !report) return;
      renderTestReport(this.tests, report);
      renderFailureSummary(this.failures, report, this.jobId, this.job && this.job.success);
    } catch {
      this.tests.classList.add('hidden');
    }
    // GET /jobs/{id}/artifacts: the files the job kept, each a download link.
    try {
      const artifacts = await api(`/jobs/${this.jobId}/artifacts`);
      if (!this.disposed) renderArtifacts(this.artifacts, this.jobId, artifacts);
    } catch {
      this.artifacts.classList.add('hidden');
    }
  }

  dispose() {
    this.disposed = true;
    clearTimeout(this.summaryTimer);
    if (this.source) this.source.close();
    if (this.log) this.log.dispose();
    if (this.onHash) window.removeEventListener('hashchange', this.onHash);
  }
}
