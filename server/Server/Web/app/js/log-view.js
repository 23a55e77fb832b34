// A job's log, virtualised: every line is kept as a string, but only the lines in view (plus a few) are in the
// DOM, so a 200 MB log costs its text in memory and a few dozen elements on the page. Follows the end while the
// reader is at the bottom; stops when they scroll up; line numbers are links (#L120).

import { advance, renderInto, DEFAULT } from './ansi.js';
import { el } from './format.js';

// Browsers cap an element's height (about 33 million px in Chromium, 17 million in Firefox); past this the
// scrollbar maps onto line numbers proportionally instead of one pixel per pixel.
const MAX_SCROLL_PX = 8_000_000;
const OVERSCAN = 10;

export class LogView {
  constructor(container, { onChange } = {}) {
    this.container = container;
    this.onChange = onChange || (() => {});
    this.lines = [];
    this.partial = '';
    // The ANSI style where a line starts, only for lines that do not start in the default style.
    this.startStates = new Map();
    this.state = DEFAULT;
    this.follow = true;
    this.target = null;
    this.pendingTarget = null;
    this.renderQueued = false;
    this.autoScrollTop = -1;

    this.spacer = el('div', 'log-spacer');
    this.viewport = el('div', 'log-lines');
    this.spacer.appendChild(this.viewport);
    container.replaceChildren(this.spacer);
    this.lineHeight = parseFloat(getComputedStyle(container).getPropertyValue('--log-line')) || 18;

    container.addEventListener('scroll', () => this.onScroll(), { passive: true });
    // Any upward intent by the reader stops following at once, before the scroll event.
    container.addEventListener('wheel', (e) => { if (e.deltaY < 0) this.setFollow(false); }, { passive: true });
    container.addEventListener('keydown', (e) => { if (['ArrowUp', 'PageUp', 'Home'].includes(e.key)) this.setFollow(false); });
    this.resizeObserver = new ResizeObserver(() => this.scheduleRender());
    this.resizeObserver.observe(container);
  }

  get lineCount() {
    return this.lines.length + (this.partial ? 1 : 0);
  }

  /** Adds raw log text (any split: a line may arrive in pieces). */
  append(text) {
    if (!text) return;
    const pieces = (this.partial + text).split('\n');
    this.partial = pieces.pop();
    for (const line of pieces) {
      if (this.state !== DEFAULT) this.startStates.set(this.lines.length, this.state);
      this.lines.push(line);
      this.state = advance(this.state, line);
    }
    if (this.pendingTarget !== null && this.pendingTarget <= this.lineCount) {
      const n = this.pendingTarget;
      this.pendingTarget = null;
      this.goToLine(n);
    }
    this.scheduleRender();
  }

  /** Scrolls to 1-based line `n` and highlights it; stops following. Waits for the line if not there yet. */
  goToLine(n) {
    this.setFollow(false);
    this.target = n;
    if (n > this.lineCount) {
      this.pendingTarget = n;
      return;
    }
    const c = this.container;
    const first = Math.max(0, n - 1 - Math.floor(c.clientHeight / this.lineHeight / 3));
    // The spacer may not have grown to the new lines yet (that waits for the next frame); a scroll past its
    // end would be cut short.
    this.spacer.style.height = `${this.spacerHeight()}px`;
    c.scrollTop = this.topForLine(first);
    this.scheduleRender();
  }

  setFollow(follow) {
    if (this.follow === follow) return;
    this.follow = follow;
    if (follow) this.scheduleRender();
    this.onChange();
  }

  onScroll() {
    const c = this.container;
    if (Math.abs(c.scrollTop - this.autoScrollTop) < 1) return; // Our own scroll to the end.
    const atBottom = c.scrollTop + c.clientHeight >= c.scrollHeight - this.lineHeight;
    this.setFollow(atBottom);
    this.scheduleRender();
  }

  scheduleRender() {
    if (this.renderQueued) return;
    this.renderQueued = true;
    requestAnimationFrame(() => {
      this.renderQueued = false;
      this.render();
    });
  }

  spacerHeight() {
    return Math.min(this.lineCount * this.lineHeight, MAX_SCROLL_PX);
  }

  scaled() {
    return this.lineCount * this.lineHeight > MAX_SCROLL_PX;
  }

  visibleCount() {
    return Math.ceil(this.container.clientHeight / this.lineHeight) + 1;
  }

  topForLine(index) {
    if (!this.scaled()) return index * this.lineHeight;
    const range = Math.max(1, this.lineCount - this.visibleCount());
    return (index / range) * (MAX_SCROLL_PX - this.container.clientHeight);
  }

  firstLineAt(scrollTop) {
    if (!this.scaled()) return Math.floor(scrollTop / this.lineHeight);
    const range = Math.max(1, this.lineCount - this.visibleCount());
    const ratio = scrollTop / Math.max(1, MAX_SCROLL_PX - this.container.clientHeight);
    return Math.round(Math.min(1, ratio) * range);
  }

  render() {
    const c = this.container;
    this.spacer.style.height = `${this.spacerHeight()}px`;
    if (this.follow) {
      const bottom = Math.max(0, c.scrollHeight - c.clientHeight);
      if (c.scrollTop !== bottom) {
        c.scrollTop = bottom;
        this.autoScrollTop = c.scrollTop;
      }
    }
    const count = this.lineCount;
    const visible = this.visibleCount();
    let first;
    let offsetPx;
    if (this.scaled()) {
      // The viewport is pinned to the scroll position; which lines it shows is proportional to it.
      first = Math.min(this.firstLineAt(c.scrollTop), Math.max(0, count - visible));
      offsetPx = c.scrollTop;
    } else {
      first = Math.max(0, this.firstLineAt(c.scrollTop) - OVERSCAN);
      offsetPx = first * this.lineHeight;
    }
    const last = Math.min(count, first + visible + (this.scaled() ? 0 : 2 * OVERSCAN));
    const fragment = document.createDocumentFragment();
    for (let i = first; i < last; i++) fragment.appendChild(this.renderLine(i));
    this.viewport.style.transform = `translateY(${offsetPx}px)`;
    this.viewport.replaceChildren(fragment);
  }

  styleAt(index) {
    if (index === this.lines.length) return this.state; // The unfinished last line.
    const state = this.startStates.get(index);
    return state === undefined ? DEFAULT : state;
  }

  renderLine(index) {
    const n = index + 1;
    const row = el('div', n === this.target ? 'log-line target' : 'log-line');
    row.id = `L${n}`;
    const number = el('a', 'ln', String(n));
    number.href = `#L${n}`;
    row.appendChild(number);
    const text = el('span', 'text');
    let line = index < this.lines.length ? this.lines[index] : this.partial;
    if (line.endsWith('\r')) line = line.slice(0, -1);
    // A progress bar redraws its line with \r: show what the terminal would.
    const cr = line.lastIndexOf('\r');
    const state = this.styleAt(index);
    renderInto(text, cr >= 0 ? line.slice(cr + 1) : line, cr >= 0 ? advance(state, line.slice(0, cr)) : state);
    row.appendChild(text);
    return row;
  }

  dispose() {
    this.resizeObserver.disconnect();
  }
}
