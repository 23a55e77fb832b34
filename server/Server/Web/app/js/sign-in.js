// The sign-in form: the API key is sent once to open a server-side session and is then forgotten; the browser
// keeps only the HttpOnly session cookie.

import { api, ApiError } from './api.js';
import { el } from './format.js';

export function renderSignIn(main, { message, onSignedIn }) {
  const form = el('form', 'sign-in');
  form.noValidate = true;
  form.appendChild(el('h2', null, 'Sign in to ci'));
  const label = el('label', null, 'API key');
  label.htmlFor = 'api-key';
  const input = el('input');
  input.id = 'api-key';
  input.name = 'api-key';
  input.type = 'password';
  input.autocomplete = 'off';
  input.spellcheck = false;
  input.placeholder = 'ci_…';
  const button = el('button', null, 'Sign in');
  button.type = 'submit';
  const error = el('p', 'error');
  error.setAttribute('role', 'alert');
  if (message) error.textContent = message;
  form.append(label, input, button, error, el('p', 'muted', 'Create a key with: ci-admin key create --email you@example.com --name browser'));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const key = input.value.trim();
    if (!key) {
      error.textContent = 'Enter an API key.';
      return;
    }
    button.disabled = true;
    error.textContent = '';
    try {
      const session = await api('/ui/api/session', { method: 'POST', body: { api_key: key } });
      input.value = '';
      onSignedIn(session);
    } catch (e) {
      error.textContent = e instanceof ApiError ? e.message : `Cannot reach the server: ${e.message}`;
    } finally {
      button.disabled = false;
    }
  });
  main.replaceChildren(form);
  input.focus();
  return { dispose() {} };
}
