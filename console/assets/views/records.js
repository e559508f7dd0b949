import {h, time, route} from '../dom.js';

// The columns of a dataset's records, by its type: events, action
// interactions, or items/users/actions (an id and its properties).
export function recordColumns(datasetType, groupArn) {
  const type = String(datasetType || '').toUpperCase();
  const user = (r) => (r.userId
    ? h('a', {href: route('user', groupArn, r.userId), title: 'Show this user'}, r.userId)
    : h('span', {class: 'muted'}, '—'));
  const text = (v) => (v === undefined || v === null || v === '' ? h('span', {class: 'muted'}, '—') : String(v));
  const properties = (r) => (r.properties ? h('code', {class: 'props', title: r.properties}, r.properties) : text(''));
  const flags = (r) => [
    r.duplicate ? h('span', {class: 'badge dup', title: 'An event with this eventId was already stored; it is kept but left out of training'}, 'duplicate') : null,
    r.bulk ? h('span', {class: 'badge neutral', title: 'Imported by a dataset import job'}, 'bulk') : null,
  ];
  if (type === 'INTERACTIONS') {
    return [
      ['Sent at', (r) => time(r.sentAt)],
      ['Event type', (r) => text(r.eventType)],
      ['User', user],
      ['Session', (r) => text(r.sessionId)],
      ['Item', (r) => text(r.itemId)],
      ['Value', (r) => text(r.eventValue)],
      ['Event id', (r) => text(r.eventId)],
      ['Properties', properties],
      ['', flags],
    ];
  }
  if (type === 'ACTION_INTERACTIONS') {
    return [
      ['Time', (r) => time(r.timestamp)],
      ['Event type', (r) => text(r.eventType)],
      ['User', user],
      ['Session', (r) => text(r.sessionId)],
      ['Action', (r) => text(r.actionId)],
      ['Event id', (r) => text(r.eventId)],
      ['Properties', properties],
      ['', flags],
    ];
  }
  // Items, users and actions: named by the id member of their type, as
  // PutItems, PutUsers and PutActions name it.
  const idOf = {ITEMS: 'itemId', USERS: 'userId', ACTIONS: 'actionId'}[type] || 'id';
  return [
    [idOf, (r) => h('code', {}, r[idOf] ?? '')],
    ['Updated', (r) => time(r.updatedAt)],
    ['Properties', properties],
    ['', flags],
  ];
}

export function isEventDataset(datasetType) {
  const type = String(datasetType || '').toUpperCase();
  return type === 'INTERACTIONS' || type === 'ACTION_INTERACTIONS';
}

export function recordRow(columns, record, attrs = {}) {
  const row = h('tr', attrs, columns.map(([, cell]) => h('td', {}, cell(record))));
  if (record.duplicate) row.classList.add('duplicate');
  return row;
}
