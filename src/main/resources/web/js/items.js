// "Items": create (idempotent POST), list the newest, open one and show X-Cache and ETag.
import { request, describeFailure, uuid, sleep } from './api.js';
import { el, fmtClock, fmtDateTime, fmtNum, parseTime, timeEl } from './format.js';
import { logEvent } from './log.js';

const SHOWN = 20;
const REFRESH_MS = 5000;
const FIELDS = ['name', 'description', 'quantity'];
const JSON_NUMBER = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/;
const RETRYABLE = new Set([0, 502, 503, 504]);

/** The field a problem detail is about: the earliest field name mentioned as a word. */
export function fieldOf(detail) {
  if (typeof detail !== 'string') return null;
  let best = null;
  let bestAt = Infinity;
  for (const f of FIELDS) {
    const m = new RegExp(`\\b${f}\\b`, 'i').exec(detail);
    if (m && m.index < bestAt) { best = f; bestAt = m.index; }
  }
  return best;
}

export function startItems() {
  const form = document.getElementById('item-form');
  const submit = document.getElementById('item-submit');
  const formStatus = document.getElementById('form-status');
  const formError = document.getElementById('form-error');
  const tokenField = document.getElementById('item-token-field');
  const tokenInput = document.getElementById('item-token');
  const inputs = Object.fromEntries(FIELDS.map((f) => [f, document.getElementById(`item-${f}`)]));
  const errors = Object.fromEntries(FIELDS.map((f) => [f, document.getElementById(`item-${f}-error`)]));

  const list = document.getElementById('item-list');
  const listMeta = document.getElementById('list-meta');
  const listError = document.getElementById('list-error');
  const refreshBtn = document.getElementById('list-refresh');

  const openForm = document.getElementById('open-form');
  const openId = document.getElementById('open-id');
  const detailError = document.getElementById('detail-error');
  const detailBody = document.getElementById('detail-body');
  const detailTitle = document.getElementById('detail-title');

  // ---- create -------------------------------------------------------------------------

  // A submission that got no definite answer keeps its key: submitting the same body
  // again reuses it, so the service creates the item at most once.
  let pending = null; // {key, body}
  // The bearer token, once the service asked for one (401): in this variable only, never in
  // storage, a cookie or the URL, so it is gone when the page is closed or reloaded.
  let token = '';

  function clearErrors() {
    for (const f of FIELDS) clearFieldError(f);
    formError.hidden = true;
    formError.textContent = '';
  }

  function clearFieldError(f) {
    errors[f].hidden = true;
    errors[f].textContent = '';
    inputs[f].removeAttribute('aria-invalid');
  }

  function showFieldError(f, text) {
    errors[f].textContent = text;
    errors[f].hidden = false;
    inputs[f].setAttribute('aria-invalid', 'true');
  }

  function showFormError(text) {
    formError.textContent = text;
    formError.hidden = false;
  }

  /** The JSON body, keeping the quantity literal as typed so the API judges it. */
  function buildBody() {
    const obj = { name: inputs.name.value, description: inputs.description.value };
    let json = JSON.stringify(obj);
    const q = inputs.quantity.value.trim();
    if (q !== '') {
      const literal = JSON_NUMBER.test(q) ? q : JSON.stringify(q);
      json = `${json.slice(0, -1)},"quantity":${literal}}`;
    }
    return json;
  }

  for (const f of FIELDS) inputs[f].addEventListener('input', () => { if (!errors[f].hidden) clearFieldError(f); });

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (submit.disabled) return;
    clearErrors();
    const body = buildBody();
    if (!pending || pending.body !== body) pending = { key: uuid(), body };
    const { key } = pending;
    const typed = tokenInput.value.trim();
    if (typed) {
      token = typed.replace(/^Bearer\s+/i, '');
      tokenInput.value = '';
      tokenInput.placeholder = 'a token is set for this page; paste another to replace it';
    }

    submit.disabled = true;
    form.setAttribute('aria-busy', 'true');
    formStatus.textContent = 'Saving…';
    let r;
    try {
      for (let attempt = 0; ; attempt++) {
        r = await request('/api/items', {
          method: 'POST',
          headers: {
            'Content-Type': 'application/json', 'Idempotency-Key': key,
            ...(token ? { Authorization: `Bearer ${token}` } : {}),
          },
          body,
          timeoutMs: 5000,
        });
        if (!RETRYABLE.has(r.status) || attempt >= 2) break;
        formStatus.textContent = `No definite answer (${r.status || r.failure}); retrying with the same Idempotency-Key…`;
        await sleep(attempt === 0 ? 300 : 1000);
      }
    } finally {
      submit.disabled = false;
      form.removeAttribute('aria-busy');
    }

    if (r.status === 201 && r.json) {
      pending = null;
      const item = r.json;
      const via = r.headers.get('X-Instance');
      formStatus.textContent = `Created item #${item.id} “${item.name}”${via ? ` on ${via}` : ''}.`;
      logEvent(`Item #${item.id} “${item.name}” created${via ? ` on ${via}` : ''}.`, 'ok');
      form.reset();
      inputs.name.focus();
      highlightId = item.id;
      refreshList();
      return;
    }

    formStatus.textContent = '';
    if (RETRYABLE.has(r.status)) {
      // No definite answer: keep the key, so submitting again cannot create a duplicate.
      showFormError(`Not saved: ${describeFailure(r)}. Submitting the same values again is safe: it reuses the same Idempotency-Key.`);
      return;
    }
    pending = null;
    if (r.status === 401) {
      // Missing, expired or refused: ask for a (new) token and forget the old one.
      token = '';
      tokenInput.placeholder = '';
      tokenField.hidden = false;
      showFormError(`Not saved: ${describeFailure(r)}. Paste an access token above and submit again.`);
      tokenInput.focus();
      return;
    }
    const detail = r.json && typeof r.json.detail === 'string' ? r.json.detail : '';
    const field = r.status === 400 ? fieldOf(detail) : null;
    if (field) {
      showFieldError(field, detail);
      inputs[field].focus();
    } else {
      showFormError(`Not saved: ${describeFailure(r)}.`);
    }
  });

  // ---- list ---------------------------------------------------------------------------

  let shown = [];       // newest first
  let signature = '';
  let loading = false;
  let again = false;      // a refresh was asked for while one was running
  let highlightId = null;
  let selectedId = null;

  async function refreshList() {
    if (loading) { again = true; return; }
    loading = true;
    try {
      // One page, newest first: the cost does not grow with the table.
      const r = await request(`/api/items?order=desc&limit=${SHOWN}`, { timeoutMs: 5000 });
      if (!r.ok || !r.json || !Array.isArray(r.json.items)) {
        listError.textContent = `Could not load the items: ${describeFailure(r)}.`;
        listError.hidden = false;
        listMeta.textContent = shown.length
          ? `Showing the list as of the last successful refresh; retrying every ${REFRESH_MS / 1000} s.`
          : `Not loaded; retrying every ${REFRESH_MS / 1000} s.`;
        return;
      }
      listError.hidden = true;
      shown = r.json.items;
      renderList();
    } finally {
      loading = false;
      if (again) { again = false; refreshList(); }
    }
  }

  function renderList() {
    listMeta.textContent = shown.length
      ? `The ${shown.length} newest, newest first · updated ${fmtClock(Date.now())}.`
      : 'No items yet. Create the first one.';
    const sig = JSON.stringify([shown.map((i) => [i.id, i.version]), highlightId, selectedId]);
    if (sig === signature) return;
    signature = sig;
    const active = document.activeElement;
    const focusedId = active && list.contains(active) ? active.dataset.id : null;
    list.replaceChildren(...shown.map((item) => {
      const li = el('li', `item${item.id === highlightId ? ' item--new' : ''}`);
      const btn = el('button', 'item__btn', null, { type: 'button', 'data-id': item.id });
      if (item.id === selectedId) btn.setAttribute('aria-current', 'true');
      const created = parseTime(item.createdAt);
      btn.append(
        el('span', 'item__id', `#${item.id}`),
        el('span', 'item__name', item.name),
        el('span', 'item__qty', `qty ${fmtNum(item.quantity)}`),
        timeEl(created, fmtClock(created), 'item__time'),
      );
      btn.addEventListener('click', () => openItem(item.id, { moveFocus: true }));
      li.append(btn);
      return li;
    }));
    if (focusedId) list.querySelector(`[data-id="${CSS.escape(focusedId)}"]`)?.focus();
  }

  refreshBtn.addEventListener('click', refreshList);

  // ---- detail -------------------------------------------------------------------------

  /** Opens an item; moveFocus (a choice from the list or the id form) takes the reader to it. */
  async function openItem(id, { moveFocus = false } = {}) {
    selectedId = typeof id === 'number' ? id : null;
    detailError.hidden = true;
    detailBody.setAttribute('aria-busy', 'true');
    const r = await request(`/api/items/${encodeURIComponent(id)}`, { timeoutMs: 5000 });
    detailBody.removeAttribute('aria-busy');
    if (!r.ok || !r.json) {
      detailError.textContent = `Could not open item ${id}: ${describeFailure(r)}.`;
      detailError.hidden = false;
      return;
    }
    const item = r.json;
    selectedId = item.id;
    signature = '';
    renderList(true);
    renderDetail(item, r);
    if (moveFocus) detailTitle.focus();
  }

  function renderDetail(item, r) {
    detailTitle.textContent = `Item #${item.id}`;
    const cache = (r.headers.get('X-Cache') || '').toUpperCase();
    const etag = r.headers.get('ETag');
    const via = r.headers.get('X-Instance');

    const badges = el('div', 'detail-badges');
    const cacheKnown = ['HIT', 'MISS', 'BYPASS'].includes(cache);
    const cacheBadge = el('span', `badge badge--cache-${cacheKnown ? cache.toLowerCase() : 'none'}`, null, { id: 'detail-cache' });
    cacheBadge.append(el('span', 'badge__label', 'X-Cache'), el('span', 'badge__value', cache || 'none'));
    const etagBadge = el('span', 'badge badge--plain', null, { id: 'detail-etag' });
    etagBadge.append(el('span', 'badge__label', 'ETag'), el('span', 'badge__value', etag || 'none'));
    badges.append(cacheBadge, etagBadge);
    if (via) {
      const viaBadge = el('span', 'badge badge--plain');
      viaBadge.append(el('span', 'badge__label', 'Served by'), el('span', 'badge__value', via));
      badges.append(viaBadge);
    }
    badges.append(el('span', 'detail-ms', `${Math.round(r.ms)} ms at ${fmtClock(Date.now())}`));

    const dl = el('dl', 'detail-list');
    const row = (k, v) => {
      const d = el('div', 'detail-list__row');
      const dd = el('dd');
      if (v instanceof Node) dd.append(v); else dd.textContent = v;
      d.append(el('dt', null, k), dd);
      dl.append(d);
    };
    row('Name', item.name);
    row('Description', item.description ? item.description : '—');
    row('Quantity', fmtNum(item.quantity));
    row('Version', String(item.version));
    const created = parseTime(item.createdAt);
    const updated = parseTime(item.updatedAt);
    row('Created', timeEl(created, fmtDateTime(created)));
    row('Updated', timeEl(updated, fmtDateTime(updated)));

    const again = el('button', 'btn btn--ghost btn--small', 'Read again', { type: 'button', id: 'detail-again' });
    again.addEventListener('click', () => openItem(item.id));
    const hint = el('p', 'hint', cache === 'MISS' ? 'The first read after a write misses the cache; read again to see a HIT.' : '');

    detailBody.replaceChildren(badges, dl, again, hint);
    detailBody.dataset.itemId = String(item.id);
  }

  openForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const id = openId.value.trim();
    if (!id) {
      detailError.textContent = 'Enter an item id.';
      detailError.hidden = false;
      openId.focus();
      return;
    }
    openItem(/^[1-9]\d{0,15}$/.test(id) ? Number(id) : id, { moveFocus: true });
  });

  refreshList();
  setInterval(() => { if (!document.hidden) refreshList(); }, REFRESH_MS);
}
