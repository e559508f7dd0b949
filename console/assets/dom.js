// Small helpers for building the page out of DOM nodes. Data is only ever
// inserted as text nodes or attribute values, never parsed as HTML.

// h builds an element: h('a', {href: '#/'}, 'text', child, [more]).
// Attributes named on* take a function; class, style and dataset work as
// usual; null, undefined and false children are left out.
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith('on')) el.addEventListener(name.slice(2), value);
    else if (name === 'dataset') Object.assign(el.dataset, value);
    else if (value === true) el.setAttribute(name, '');
    else el.setAttribute(name, String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : String(c));
  }
}

// svg builds an SVG element; attributes are set as they are.
export function svg(tag, attrs, ...children) {
  const el = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [name, value] of Object.entries(attrs || {})) el.setAttribute(name, String(value));
  append(el, children);
  return el;
}

// copyText puts text on the clipboard. The Clipboard API needs a secure
// context (https or localhost); a console reached over plain http on
// another host falls back to a selected, hidden textarea.
async function copyText(text) {
  if (navigator.clipboard && window.isSecureContext) {
    await navigator.clipboard.writeText(text);
    return;
  }
  const area = h('textarea', {class: 'offscreen', readonly: true});
  area.value = text;
  document.body.append(area);
  area.select();
  document.execCommand('copy');
  area.remove();
}

export function copyButton(text, label = 'copy') {
  const button = h('button', {type: 'button', class: 'copy', title: 'Copy ' + text, 'aria-label': 'Copy ' + text}, label);
  button.addEventListener('click', async (e) => {
    e.preventDefault();
    e.stopPropagation();
    try {
      await copyText(text);
      button.textContent = 'copied';
    } catch {
      button.textContent = 'failed';
    }
    setTimeout(() => { button.textContent = label; }, 1200);
  });
  return button;
}

// arn shows an ARN by its resource part, which tells ARNs of one account
// and region apart (the rest is the same on every row), with the whole ARN
// in the title and on the copy button's clipboard.
export function arn(value) {
  if (!value) return h('span', {class: 'muted'}, '—');
  const parts = value.split(':');
  const shown = parts.length >= 6 && parts[0] === 'arn'
    ? [h('span', {class: 'muted'}, 'arn:…:'), parts.slice(5).join(':')]
    : [value];
  return h('span', {class: 'arn'}, h('code', {title: value}, shown), copyButton(value));
}

export function badge(status) {
  if (!status) return h('span', {class: 'muted'}, '—');
  const s = String(status).toUpperCase();
  let kind = 'neutral';
  if (s.includes('FAIL')) kind = 'bad';
  else if (s === 'ACTIVE' || s === 'DONE') kind = 'good';
  else if (s.includes('PENDING') || s.includes('PROGRESS') || s.includes('STOPPING') || s.includes('STARTING') || s.includes('UPDATE')) kind = 'busy';
  return h('span', {class: 'badge ' + kind}, status);
}

function pad(n, width = 2) { return String(n).padStart(width, '0'); }

function formatDate(d) {
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}Z`;
}

// time renders an RFC 3339 string or epoch seconds (as records carry
// them) in UTC, with the exact value in the title.
export function time(value) {
  if (value === null || value === undefined || value === '') return h('span', {class: 'muted'}, '—');
  const d = typeof value === 'number' ? new Date(value * 1000) : new Date(value);
  if (Number.isNaN(d.getTime())) return h('span', {}, String(value));
  return h('time', {datetime: d.toISOString(), title: String(value)}, formatDate(d));
}

export function number(n) {
  return typeof n === 'number' ? n.toLocaleString('en-US') : '—';
}

// table renders rows under headings; each column is [heading, row => node].
// An empty list shows the empty text instead.
export function table(columns, rows, empty = 'None.', attrs = {}) {
  if (!rows || rows.length === 0) return h('p', {class: 'empty'}, empty);
  return h('div', {class: 'scroll'}, h('table', attrs,
    h('thead', {}, h('tr', {}, columns.map(([heading]) => h('th', {}, heading)))),
    h('tbody', {}, rows.map((row) => h('tr', {}, columns.map(([, cell]) => h('td', {}, cell(row))))))));
}

export function section(title, ...children) {
  return h('section', {class: 'card'}, h('h2', {}, title), children);
}

export function errorBox(message) {
  return h('div', {class: 'error', role: 'alert'}, message);
}

export function link(href, text) {
  return h('a', {href}, text);
}

// Routes carry ARNs and user ids as one encoded path segment each.
export function route(...parts) {
  return '#/' + parts.map((p, i) => (i === 0 ? p : encodeURIComponent(p))).join('/');
}
