import {h, arn, badge, section, route} from '../dom.js';
import {get} from '../api.js';

// Every metric GetSolutionMetrics names is better when higher (coverage,
// precision, NDCG, MRR, AUC, recall, hit), so the best of a row is its
// largest value.
export async function metricsView(groupArn) {
  const {solutionVersions: versions} = await get('metrics', {datasetGroupArn: groupArn});
  const names = [...new Set(versions.flatMap((v) => Object.keys(v.metrics || {})))].sort();
  const recipe = (r) => (r || '').replace(/^arn:aws:personalize:::recipe\//, '');
  let content;
  if (versions.length === 0) {
    content = h('p', {class: 'empty'}, 'No solution versions in this group yet.');
  } else {
    content = h('div', {class: 'scroll'}, h('table', {id: 'metrics', class: 'metrics'},
      h('thead', {},
        h('tr', {}, h('th', {}, 'Metric'), versions.map((v) => h('th', {class: 'num'},
          h('div', {}, v.solutionName), h('div', {class: 'muted small'}, recipe(v.recipeArn)), badge(v.status)))),
        h('tr', {class: 'arns'}, h('th', {}, 'Version'), versions.map((v) => h('th', {class: 'num'}, arn(v.solutionVersionArn))))),
      h('tbody', {}, names.map((name) => {
        const values = versions.map((v) => (v.metrics || {})[name]);
        const numbers = values.filter((x) => typeof x === 'number');
        const best = numbers.length > 1 ? Math.max(...numbers) : null;
        return h('tr', {},
          h('th', {}, h('code', {}, name)),
          values.map((x) => h('td', {class: 'num' + (x === best ? ' best' : '')},
            typeof x === 'number' ? x.toFixed(4) : h('span', {class: 'muted'}, '—'))));
      }))));
  }
  const groupName = groupArn.split('/').pop();
  const node = h('div', {},
    h('p', {class: 'crumbs'}, h('a', {href: '#/'}, 'Dataset groups'), ' / ', h('a', {href: route('group', groupArn)}, groupName), ' / '),
    h('h1', {}, 'Solution metrics'),
    h('p', {class: 'subtitle'}, 'GetSolutionMetrics of each solution version, side by side; the best of each row is marked.'),
    section(`${versions.length} solution version${versions.length === 1 ? '' : 's'}`, content));
  return {title: 'Metrics · ' + groupName, node};
}
