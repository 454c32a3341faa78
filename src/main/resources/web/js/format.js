// Instance colours and abbreviations, time and number formatting.

const PALETTE_SIZE = 6;
const FIXED = new Map([['web1', 0], ['web2', 1], ['web3', 2]]);
const assigned = new Map();

/** The colour class of an instance: web1..web3 fixed, others by order of first appearance. */
export function colourClass(instance) {
  if (FIXED.has(instance)) return `i${FIXED.get(instance)}`;
  if (!assigned.has(instance)) assigned.set(instance, (FIXED.size + assigned.size) % PALETTE_SIZE);
  return `i${assigned.get(instance)}`;
}

/** A short text for a cell: "web2" -> "w2", a pod name -> its last 3 characters. */
export function abbrev(instance) {
  const s = String(instance);
  const m = /^([A-Za-z])[A-Za-z]*[-_]?(\d{1,2})$/.exec(s);
  if (m) return (m[1] + m[2]).toLowerCase();
  return s.length <= 3 ? s : s.slice(-3);
}

const timeFmt = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
const dateTimeFmt = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
const numFmt = new Intl.NumberFormat();

export const fmtNum = (n) => (typeof n === 'number' && Number.isFinite(n) ? numFmt.format(n) : '–');

/** Milliseconds since the epoch of an ISO timestamp, or NaN. */
export const parseTime = (iso) => (typeof iso === 'string' ? Date.parse(iso) : NaN);

export function fmtClock(ms) {
  return Number.isFinite(ms) ? timeFmt.format(new Date(ms)) : '–';
}

export function fmtDateTime(ms) {
  return Number.isFinite(ms) ? dateTimeFmt.format(new Date(ms)) : '–';
}

/** "0.4 s", "12 s", "5 min", "2 h 05 min", "3 d". */
export function fmtDuration(ms) {
  if (!Number.isFinite(ms)) return '–';
  const s = Math.max(0, ms) / 1000;
  if (s < 10) return `${s.toFixed(1)} s`;
  if (s < 60) return `${Math.floor(s)} s`;
  const min = Math.floor(s / 60);
  if (min < 60) return `${min} min ${String(Math.floor(s % 60)).padStart(2, '0')} s`;
  const h = Math.floor(min / 60);
  if (h < 48) return `${h} h ${String(min % 60).padStart(2, '0')} min`;
  return `${Math.floor(h / 24)} d`;
}

/** Creates an element with a class and text; attributes optional. */
export function el(tag, className, text, attrs) {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined && text !== null) e.textContent = String(text);
  if (attrs) for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null) e.setAttribute(k, String(v));
  return e;
}

/** A <time> element for an epoch-ms value. */
export function timeEl(ms, text, className) {
  const t = el('time', className, text);
  if (Number.isFinite(ms)) {
    t.dateTime = new Date(ms).toISOString();
    t.title = fmtDateTime(ms);
  }
  return t;
}

/** A coloured instance chip: colour plus text. */
export function instanceChip(instance, extraClass = '') {
  return el('span', `chip ${colourClass(instance)} ${extraClass}`.trim(), abbrev(instance), { 'aria-hidden': 'true' });
}
