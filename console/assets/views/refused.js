import {h, time, table, section, copyButton} from '../dom.js';
import {get} from '../api.js';

// The view refreshes itself this often while it is open, so a refusal
// shows up while the developer retries their client.
const refreshEvery = 2000;

function refusedTable(refused) {
  return table([
    // The request id is what a client's logs and perch's own log name.
    ['Time', (r) => h('span', {}, time(r.time), r.requestId ? h('div', {title: r.requestId}, copyButton(r.requestId, 'request id')) : null)],
    ['Operation', (r) => h('span', {}, h('strong', {}, r.operation || '—'), r.api ? h('div', {class: 'muted small'}, r.api) : null)],
    ['Access key id', (r) => (r.accessKeyId ? h('code', {}, r.accessKeyId) : h('span', {class: 'muted'}, 'unsigned'))],
    ['Status', (r) => h('span', {class: 'badge ' + (r.status >= 500 ? 'bad' : 'busy')}, String(r.status))],
    ['Error type', (r) => h('code', {class: 'error-type'}, r.errorType)],
    ['Message', (r) => h('span', {class: 'message'}, r.message)],
    ['Member', (r) => (r.member ? h('code', {class: 'member'}, r.member) : h('span', {class: 'muted'}, '—'))],
  ], refused, 'No refused requests: every call so far was answered 2xx.', {id: 'refused'});
}

export async function refusedView() {
  const first = await get('refused', {limit: 100});
  const holder = h('div', {}, refusedTable(first.refused));
  const note = h('span', {class: 'muted'});
  let timer = null;
  let stopped = false;
  const refresh = async () => {
    try {
      const {refused} = await get('refused', {limit: 100});
      if (stopped) return;
      holder.replaceChildren(refusedTable(refused));
      note.textContent = '';
    } catch (err) {
      if (!stopped) note.textContent = 'refresh failed: ' + err.message;
    }
    if (!stopped) timer = setTimeout(refresh, refreshEvery);
  };
  timer = setTimeout(refresh, refreshEvery);
  const node = h('div', {},
    h('h1', {}, 'Refused requests'),
    h('p', {class: 'subtitle'}, 'The last requests of this account that perch answered with an error, newest first, with the exact error the client got. ', note),
    section('Latest 100', holder));
  return {title: 'Refused requests', node, cleanup: () => { stopped = true; clearTimeout(timer); }};
}
