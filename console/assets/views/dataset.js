import {h, arn, badge, time, number, table, section, route} from '../dom.js';
import {get, tailURL} from '../api.js';
import {barChart} from '../chart.js';
import {jobsTable} from './group.js';
import {recordColumns, recordRow, isEventDataset} from './records.js';

// The tail keeps this many rows; older ones fall off the bottom.
const maxTailRows = 200;
const minFlushGap = 250;
const floodFlushGap = 1000;

function topList(title, rows, key, heading, id) {
  const most = Math.max(1, ...rows.map((r) => r.count));
  return section(title, table([
    [heading, (r) => h('code', {}, r[key])],
    ['Count', (r) => h('span', {class: 'num'}, number(r.count))],
    ['', (r) => h('span', {class: 'meter'}, h('span', {style: `width:${(100 * r.count / most).toFixed(1)}%`}))],
  ], rows, 'Nothing accepted since the server started.', {id}));
}

// tailPanel shows a dataset's newest records, then every record accepted
// from then on, live, filtered by user, session and event type.
function tailPanel(dataset) {
  const columns = recordColumns(dataset.datasetType, dataset.datasetGroupArn);
  const filterable = isEventDataset(dataset.datasetType);
  const inputs = {
    userId: h('input', {name: 'userId', placeholder: 'user id', 'aria-label': 'filter by user id'}),
    sessionId: h('input', {name: 'sessionId', placeholder: 'session id', 'aria-label': 'filter by session id'}),
    eventType: h('input', {name: 'eventType', placeholder: 'event type', 'aria-label': 'filter by event type'}),
  };
  const state = h('span', {class: 'live-state', id: 'tail-state'}, 'connecting');
  const counter = h('span', {class: 'muted', id: 'tail-count'});
  const body = h('tbody', {id: 'tail-rows'});
  const empty = h('p', {class: 'empty'}, 'No records yet; new ones appear here as they arrive.');
  const tableNode = h('table', {id: 'tail'},
    h('thead', {}, h('tr', {}, columns.map(([heading]) => h('th', {}, heading)))), body);
  let source = null;
  let arrived = 0;
  // Records wait here to be drawn together, in an animation frame at most
  // every minFlushGap ms, so that a burst costs a few DOM updates a second
  // (no one reads faster) and only its newest rows are drawn. While paused
  // they wait here, the newest maxTailRows of them.
  let queue = [];
  let frame = 0;
  let timer = 0;
  let lastFlush = 0;
  let flushGap = minFlushGap;
  let paused = false;

  const filters = () => {
    const f = {datasetArn: dataset.datasetArn};
    if (filterable) for (const [k, input] of Object.entries(inputs)) f[k] = input.value.trim();
    return f;
  };
  const showEmpty = () => { empty.hidden = body.childElementCount > 0; tableNode.hidden = !empty.hidden; };
  const setState = (text, kind) => { state.textContent = text; state.className = 'live-state ' + kind; };

  async function start() {
    if (source) source.close();
    arrived = 0;
    queue = [];
    cancelAnimationFrame(frame);
    clearTimeout(timer);
    frame = timer = 0;
    counter.textContent = '';
    setState('connecting', 'busy');
    const f = filters();
    // The stream opens first so that no record falls between the two.
    source = new EventSource(tailURL(f));
    const opened = source;
    const pending = [];
    let loaded = false;
    source.addEventListener('open', () => setState('live', 'good'));
    source.addEventListener('error', () => {
      if (opened.readyState === EventSource.CLOSED) setState('closed', 'bad');
      else setState('reconnecting', 'busy');
    });
    source.addEventListener('record', (e) => {
      let record;
      try { record = JSON.parse(e.data); } catch { return; }
      if (!loaded) { pending.push(record); return; }
      add(record);
    });
    try {
      const {records} = await get('records', {...f, limit: 50});
      if (opened !== source) return;
      body.replaceChildren(...records.map((r) => recordRow(columns, r)));
      // A record stored while the list was read can come both ways.
      const listed = new Set(records.map((r) => JSON.stringify(r)));
      pending.splice(0, pending.length, ...pending.filter((r) => !listed.has(JSON.stringify(r))));
    } catch (err) {
      if (opened !== source) return;
      body.replaceChildren();
      setState(err.message, 'bad');
    }
    loaded = true;
    for (const r of pending) add(r);
    showEmpty();
  }

  function add(record) {
    queue.push(record);
    if (queue.length > maxTailRows) queue.splice(0, queue.length - maxTailRows);
    arrived++;
    schedule();
  }

  function count() {
    counter.textContent = `${arrived} new` + (paused && queue.length ? ` · ${queue.length} held while paused` : '');
  }

  function schedule() {
    if (frame || timer) return;
    const wait = lastFlush + flushGap - performance.now();
    if (wait > 0) timer = setTimeout(() => { timer = 0; schedule(); }, wait);
    else frame = requestAnimationFrame(flush);
  }

  // flush draws what is queued, unless paused, and the counts either way.
  function flush() {
    frame = 0;
    lastFlush = performance.now();
    count();
    if (paused) return;
    // A full queue means a stream faster than anyone reads: the tail then
    // draws once a second, without the arrival highlight (a repaint of
    // every row), and so leaves the page responsive.
    const flood = queue.length >= maxTailRows;
    flushGap = flood ? floodFlushGap : minFlushGap;
    const rows = document.createDocumentFragment();
    for (let i = queue.length - 1; i >= 0; i--) rows.append(recordRow(columns, queue[i], {class: flood ? null : 'new'}));
    queue = [];
    body.prepend(rows);
    while (body.childElementCount > maxTailRows) body.lastElementChild.remove();
    showEmpty();
  }

  const pause = h('button', {type: 'button', class: 'secondary', id: 'tail-pause', onclick: () => {
    paused = !paused;
    pause.textContent = paused ? 'Resume' : 'Pause';
    count();
    schedule();
  }}, 'Pause');

  const form = h('form', {class: 'inline filters', id: 'tail-filters', onsubmit: (e) => { e.preventDefault(); start(); }},
    filterable ? [inputs.userId, inputs.sessionId, inputs.eventType, h('button', {type: 'submit'}, 'Filter'),
      h('button', {type: 'button', class: 'secondary', onclick: () => {
        for (const input of Object.values(inputs)) input.value = '';
        start();
      }}, 'Clear')] : null);

  const node = h('section', {class: 'card', id: 'tail-panel'},
    h('div', {class: 'card-head'}, h('h2', {}, 'Live tail'), state, counter, h('span', {class: 'spacer'}), pause),
    form, h('div', {class: 'scroll'}, tableNode, empty));
  start();
  return {node, stop: () => {
    if (source) source.close();
    source = null;
    cancelAnimationFrame(frame);
    clearTimeout(timer);
  }};
}

// The counts, chart, top lists and jobs are read again this often while
// the view is open; the tail is live on its own.
const refreshEvery = 5000;

// figures are the parts of the view that api/dataset gives.
function figures(d, events) {
  const perMinute = d.eventsPerMinute;
  return {
    stats: h('div', {class: 'stats'},
      h('div', {class: 'stat'}, h('div', {class: 'stat-value', id: 'record-count'}, number(d.recordCount)), h('div', {class: 'muted'}, 'records stored')),
      h('div', {class: 'stat'}, h('div', {class: 'stat-value'}, number(perMinute.reduce((a, b) => a + b, 0))), h('div', {class: 'muted'}, 'accepted in the last hour')),
      h('div', {class: 'stat'}, h('div', {class: 'stat-value'}, number(perMinute[perMinute.length - 1] || 0)), h('div', {class: 'muted'}, 'this minute'))),
    grid: h('div', {class: 'grid'},
      section(events ? 'Events per minute, last hour' : 'Records per minute, last hour', barChart(perMinute, {label: events ? 'events per minute' : 'records per minute'})),
      events ? topList('Top event types', d.topEventTypes, 'eventType', 'Event type', 'top-event-types') : null,
      topList(events ? 'Top items' : 'Most written', d.topItems, 'itemId', events ? 'Item' : 'Id', 'top-items')),
    jobs: section('Jobs', jobsTable(d.jobs, {id: 'dataset-jobs'})),
  };
}

export async function datasetView(datasetArn) {
  const d = await get('dataset', {arn: datasetArn});
  const ds = d.dataset;
  const tail = tailPanel(ds);
  const events = isEventDataset(ds.datasetType);
  let shown = figures(d, events);
  const node = h('div', {},
    h('p', {class: 'crumbs'}, h('a', {href: '#/'}, 'Dataset groups'), ' / ',
      h('a', {href: route('group', ds.datasetGroupArn)}, ds.datasetGroupArn.split('/').pop()), ' / '),
    h('div', {class: 'title'}, h('h1', {}, ds.name), badge(ds.status), h('span', {class: 'badge neutral'}, ds.datasetType)),
    h('p', {class: 'subtitle'}, arn(ds.datasetArn), ' · created ', time(ds.creationDateTime)),
    shown.stats, shown.grid, tail.node, shown.jobs);

  let stopped = false;
  let timer = null;
  const refresh = async () => {
    try {
      const next = figures(await get('dataset', {arn: datasetArn}), events);
      if (stopped) return;
      shown.stats.replaceWith(next.stats);
      shown.grid.replaceWith(next.grid);
      shown.jobs.replaceWith(next.jobs);
      shown = next;
    } catch {
      // The next round tries again; the tail shows whether the server is up.
    }
    if (!stopped) timer = setTimeout(refresh, refreshEvery);
  };
  timer = setTimeout(refresh, refreshEvery);
  return {title: ds.name, node, cleanup: () => { stopped = true; clearTimeout(timer); tail.stop(); }};
}
