// ANSI SGR colours in job logs: parsed per line so that the log view can render any line alone, given the style in
// force where the line starts. Other escape sequences (cursor moves, titles) are dropped.

// CSI ... final byte, and OSC ... BEL/ST.
const ESCAPES = /\x1b\[([0-9;:]*)([@-~])|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[@-Z\\-_]/g;

export const DEFAULT = null;

const CUBE = [0, 95, 135, 175, 215, 255];

function color256(n) {
  if (n < 8) return 30 + n;
  if (n < 16) return 90 + n - 8;
  if (n < 232) {
    const i = n - 16;
    return `rgb(${CUBE[Math.floor(i / 36)]},${CUBE[Math.floor(i / 6) % 6]},${CUBE[i % 6]})`;
  }
  const g = 8 + (n - 232) * 10;
  return `rgb(${g},${g},${g})`;
}

/** The style after applying one SGR parameter list to `state` (null is the default style). */
export function applySgr(state, paramText) {
  const params = paramText === '' ? [0] : paramText.split(/[;:]/).map((p) => (p === '' ? 0 : Number(p)));
  let s = state ? { ...state } : {};
  for (let i = 0; i < params.length; i++) {
    const p = params[i];
    if (p === 0) s = {};
    else if (p === 1) s.b = true;
    else if (p === 2) s.d = true;
    else if (p === 3) s.i = true;
    else if (p === 4) s.u = true;
    else if (p === 22) { delete s.b; delete s.d; }
    else if (p === 23) delete s.i;
    else if (p === 24) delete s.u;
    else if ((p >= 30 && p <= 37) || (p >= 90 && p <= 97)) s.fg = p;
    else if (p === 39) delete s.fg;
    else if ((p >= 40 && p <= 47) || (p >= 100 && p <= 107)) s.bg = p;
    else if (p === 49) delete s.bg;
    else if (p === 38 || p === 48) {
      let value;
      if (params[i + 1] === 5) {
        const c = color256(params[i + 2] ?? 0);
        value = typeof c === 'number' && p === 48 ? c + 10 : c;
        i += 2;
      } else if (params[i + 1] === 2) {
        value = `rgb(${params[i + 2] ?? 0},${params[i + 3] ?? 0},${params[i + 4] ?? 0})`;
        i += 4;
      } else {
        continue;
      }
      if (p === 38) s.fg = value;
      else s.bg = value;
    }
  }
  return Object.keys(s).length === 0 ? DEFAULT : s;
}

/** The style in force after `text`, starting from `state`; cheap when the text has no escapes. */
export function advance(state, text) {
  if (text.indexOf('\x1b') < 0) return state;
  ESCAPES.lastIndex = 0;
  let m;
  while ((m = ESCAPES.exec(text)) !== null) {
    if (m[2] === 'm') state = applySgr(state, m[1]);
  }
  return state;
}

function styled(text, state) {
  const span = document.createElement('span');
  span.textContent = text;
  if (!state) return span;
  const classes = [];
  if (state.b) classes.push('a-b');
  if (state.d) classes.push('a-d');
  if (state.i) classes.push('a-i');
  if (state.u) classes.push('a-u');
  // Standard colours are classes; 256-colour and true colour go through the CSSOM, which the CSP allows
  // (it forbids only inline style attributes in markup).
  if (typeof state.fg === 'number') classes.push(`fg-${state.fg}`);
  else if (state.fg) span.style.color = state.fg;
  if (typeof state.bg === 'number') classes.push(`bg-${state.bg}`);
  else if (state.bg) span.style.backgroundColor = state.bg;
  span.className = classes.join(' ');
  return span;
}

/** Appends `text` to `parent` as styled spans, starting in `state`. Never uses innerHTML: logs are untrusted. */
export function renderInto(parent, text, state) {
  if (text.indexOf('\x1b') < 0) {
    if (text) parent.appendChild(styled(text, state));
    return;
  }
  ESCAPES.lastIndex = 0;
  let last = 0;
  let m;
  while ((m = ESCAPES.exec(text)) !== null) {
    if (m.index > last) parent.appendChild(styled(text.slice(last, m.index), state));
    if (m[2] === 'm') state = applySgr(state, m[1]);
    last = ESCAPES.lastIndex;
  }
  if (last < text.length) parent.appendChild(styled(text.slice(last), state));
}
