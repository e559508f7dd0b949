import {h, arn, badge, time, number, table, section, route, copyButton} from '../dom.js';
import {get} from '../api.js';

const jobKinds = {
  import: 'Import',
  export: 'Export',
  deletion: 'Deletion',
  batchInference: 'Batch inference',
  batchSegment: 'Batch segment',
};

// jobProgress shows how far a running job has got: a bar and "N of M
// unit" when it knows its total, "N unit" when it does not.
function jobProgress(p) {
  if (!p) return null;
  const text = p.total ? `${number(p.done)} of ${number(p.total)} ${p.unit}` : `${number(p.done)} ${p.unit}`;
  return h('div', {class: 'job-progress small muted'},
    p.total ? h('progress', {max: p.total, value: Math.min(p.done, p.total), 'aria-label': text}) : null,
    h('span', {}, text));
}

export function jobsTable(jobs, attrs = {}) {
  return table([
    ['Kind', (j) => jobKinds[j.kind] || j.kind],
    ['Name', (j) => j.name],
    ['Status', (j) => [badge(j.status), jobProgress(j.progress), j.failureReason ? h('div', {class: 'failure'}, j.failureReason) : null]],
    ['Created', (j) => time(j.creationDateTime)],
    ['Updated', (j) => time(j.lastUpdatedDateTime)],
    ['ARN', (j) => arn(j.arn)],
  ], jobs, 'No jobs.', attrs);
}

// userForm opens a user's view of this group.
function userForm(groupArn) {
  const input = h('input', {name: 'userId', placeholder: 'user id', required: true, 'aria-label': 'user id'});
  return h('form', {class: 'inline', id: 'user-form', onsubmit: (e) => {
    e.preventDefault();
    location.hash = route('user', groupArn, input.value.trim());
  }}, input, h('button', {type: 'submit'}, 'Show user'));
}

export async function groupView(groupArn) {
  const g = await get('group', {arn: groupArn});
  const group = g.datasetGroup;
  // A solution without versions yet still gets its row.
  const versions = g.solutions.flatMap((s) => (s.versions && s.versions.length
    ? s.versions.map((v) => ({...v, solution: s}))
    : [{solution: s, status: s.status}]));
  const node = h('div', {},
    h('p', {class: 'crumbs'}, h('a', {href: '#/'}, 'Dataset groups'), ' / '),
    h('div', {class: 'title'},
      h('h1', {}, group.name), badge(group.status),
      group.domain ? h('span', {class: 'badge neutral'}, group.domain) : null),
    h('p', {class: 'subtitle'}, arn(group.datasetGroupArn), ' · created ', time(group.creationDateTime)),
    h('div', {class: 'toolbar'}, userForm(group.datasetGroupArn),
      h('a', {href: route('metrics', group.datasetGroupArn), class: 'button'}, 'Compare solution metrics')),
    section('Datasets', table([
      ['Name', (d) => h('a', {href: route('dataset', d.datasetArn), class: 'strong'}, d.name)],
      ['Type', (d) => d.datasetType],
      ['Status', (d) => badge(d.status)],
      ['Records', (d) => h('span', {class: 'num'}, number(d.recordCount))],
      ['ARN', (d) => arn(d.datasetArn)],
      ['Schema', (d) => arn(d.schemaArn)],
    ], g.datasets, 'No datasets.', {id: 'datasets'})),
    section('Event trackers', table([
      ['Name', (t) => t.name],
      ['Tracking id', (t) => h('span', {class: 'arn'}, h('code', {}, t.trackingId), copyButton(t.trackingId))],
      ['Status', (t) => badge(t.status)],
      ['ARN', (t) => arn(t.eventTrackerArn)],
    ], g.eventTrackers, 'No event trackers.')),
    section('Solutions and versions', table([
      ['Solution', (v) => v.solution.name],
      ['Recipe', (v) => h('code', {}, (v.solution.recipeArn || '').replace(/^arn:aws:personalize:::recipe\//, ''))],
      ['Status', (v) => badge(v.status)],
      ['Training', (v) => v.trainingMode || '—'],
      ['Created', (v) => time(v.creationDateTime)],
      ['Version ARN', (v) => arn(v.solutionVersionArn)],
    ], versions, 'No solutions.')),
    section('Campaigns', table([
      ['Name', (c) => c.name],
      ['Status', (c) => badge(c.status)],
      ['ARN', (c) => arn(c.campaignArn)],
      ['Solution version', (c) => arn(c.solutionVersionArn)],
    ], g.campaigns, 'No campaigns.', {id: 'campaigns'})),
    g.recommenders.length ? section('Recommenders', table([
      ['Name', (r) => r.name],
      ['Recipe', (r) => h('code', {}, (r.recipeArn || '').replace(/^arn:aws:personalize:::recipe\//, ''))],
      ['Status', (r) => badge(r.status)],
      ['ARN', (r) => arn(r.recommenderArn)],
    ], g.recommenders)) : null,
    section('Filters', table([
      ['Name', (f) => f.name],
      ['Expression', (f) => h('code', {class: 'wrap'}, f.filterExpression)],
      ['Status', (f) => badge(f.status)],
      ['ARN', (f) => arn(f.filterArn)],
    ], g.filters, 'No filters.')),
    g.metricAttributions.length ? section('Metric attributions', table([
      ['Name', (m) => m.name],
      ['Status', (m) => badge(m.status)],
      ['ARN', (m) => arn(m.metricAttributionArn)],
    ], g.metricAttributions)) : null,
    section('Jobs', jobsTable(g.jobs, {id: 'group-jobs'})));
  return {title: group.name, node};
}
