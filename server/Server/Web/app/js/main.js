// The app's entry: asks who is signed in, then routes /ui/ and /ui/jobs/{id} without reloading the page.

import { api, ApiError, setCsrfToken, whenSessionEnds } from './api.js';
import { JobPage } from './job-page.js';
import { JobsPage } from './jobs-page.js';
import { renderSignIn } from './sign-in.js';

const main = document.getElementById('main');
const nav = document.getElementById('nav');
const who = document.getElementById('who');
let page = null;
let routed = null;

function show(next) {
  if (page) page.dispose();
  page = next;
}

function route() {
  routed = location.pathname + location.search;
  document.title = 'ci';
  const match = /^\/ui\/jobs\/([^/]+)\/?$/.exec(location.pathname);
  show(match ? new JobPage(main, decodeURIComponent(match[1])) : new JobsPage(main));
}

function signedIn(session) {
  setCsrfToken(session.csrf_token);
  who.textContent = `${session.name} <${session.email}>`;
  nav.hidden = false;
  route();
}

function signedOut(message) {
  setCsrfToken(null);
  nav.hidden = true;
  who.textContent = '';
  show(renderSignIn(main, { message, onSignedIn: signedIn }));
}

whenSessionEnds(() => signedOut('Your session has ended. Sign in again.'));

document.getElementById('sign-out').addEventListener('click', async () => {
  try {
    await api('/ui/api/session', { method: 'DELETE' });
  } finally {
    signedOut('Signed out.');
  }
});

// Links inside the app change the page without a reload; the session and its CSRF token stay in memory.
document.addEventListener('click', (event) => {
  const link = event.target.closest('a');
  if (!link || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
  const url = new URL(link.href, location.href);
  if (url.origin !== location.origin || !url.pathname.startsWith('/ui/') || url.pathname === location.pathname) return;
  event.preventDefault();
  history.pushState(null, '', url.pathname + url.search + url.hash);
  route();
});
// A line link (#L120) changes only the hash: the page handles that itself, without rebuilding (and refetching) it.
window.addEventListener('popstate', () => {
  if (location.pathname + location.search !== routed) route();
});

async function start() {
  try {
    signedIn(await api('/ui/api/session'));
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) signedOut('');
    else main.textContent = `Cannot reach the server: ${e.message}`;
  }
}

start();
