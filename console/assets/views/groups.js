import {h, arn, badge, time, table, section, route} from '../dom.js';
import {get} from '../api.js';

export async function groupsView() {
  const {datasetGroups} = await get('groups');
  const node = h('div', {},
    h('h1', {}, 'Dataset groups'),
    section(`${datasetGroups.length} dataset group${datasetGroups.length === 1 ? '' : 's'}`,
      table([
        ['Name', (g) => h('a', {href: route('group', g.datasetGroupArn), class: 'strong'}, g.name)],
        ['Status', (g) => badge(g.status)],
        ['Domain', (g) => g.domain || h('span', {class: 'muted'}, 'custom')],
        ['Created', (g) => time(g.creationDateTime)],
        ['ARN', (g) => arn(g.datasetGroupArn)],
      ], datasetGroups, 'No dataset groups yet: create one with CreateDatasetGroup, or start perch serve with --quickstart.', {id: 'groups'})));
  return {title: 'Dataset groups', node};
}
