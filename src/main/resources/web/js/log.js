// The activity log: a role="log" list that screen readers announce politely.
import { el, fmtClock, timeEl } from './format.js';

const MAX_ENTRIES = 40;
let list;

/** kind: 'info' | 'ok' | 'warn' | 'error' */
export function logEvent(text, kind = 'info') {
  list ??= document.getElementById('log');
  if (!list) return;
  const now = Date.now();
  const li = el('li', `log__entry log__entry--${kind}`);
  li.append(timeEl(now, fmtClock(now), 'log__time'), el('span', 'log__text', text));
  list.prepend(li);
  while (list.children.length > MAX_ENTRIES) list.lastElementChild.remove();
}
