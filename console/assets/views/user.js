import {h, arn, time, number, section, route, errorBox} from '../dom.js';
import {get, post} from '../api.js';

function timeline(interactions) {
  if (interactions.length === 0) return h('p', {class: 'empty'}, 'No interactions stored for this user.');
  return h('ol', {class: 'timeline', id: 'timeline'}, interactions.map((r) => h('li', {class: r.duplicate ? 'duplicate' : null},
    h('div', {class: 'when'}, time(r.sentAt ?? r.timestamp)),
    h('div', {},
      h('span', {class: 'badge neutral'}, r.eventType),
      ' ', h('code', {}, r.itemId || r.actionId || ''),
      r.eventValue !== undefined ? h('span', {class: 'muted'}, ` value ${r.eventValue}`) : null,
      r.duplicate ? h('span', {class: 'badge dup'}, 'duplicate') : null),
    r.sessionId ? h('div', {class: 'muted small'}, 'session ', r.sessionId) : null)));
}

// Scores are shares of one over every item, so they are often tiny.
function formatScore(score) {
  return score === 0 || score >= 0.001 ? score.toFixed(4) : score.toExponential(2);
}

function recommendationCard(rec) {
  const target = rec.campaignArn || rec.recommenderArn;
  const list = rec.error
    ? errorBox(rec.error)
    : (rec.itemList.length === 0
      ? h('p', {class: 'empty'}, 'No items.')
      : h('ol', {class: 'items'}, rec.itemList.map((it) => h('li', {},
        h('code', {class: 'item-id'}, it.itemId),
        // Popularity and recommender answers carry no score.
        it.score !== undefined && it.score !== null
          ? h('span', {class: 'score', title: String(it.score)}, formatScore(it.score))
          : null))));
  return h('div', {class: 'rec', dataset: {arn: target}},
    h('h3', {}, rec.name, ' ', h('span', {class: 'badge neutral'}, rec.campaignArn ? 'campaign' : 'recommender')),
    arn(target), list);
}

// tryForm calls GetRecommendations or GetPersonalizedRanking through the
// API as the session's key and shows the answer or the AWS error as is.
function tryForm(group, userId) {
  const activeCampaigns = group.campaigns.filter((c) => c.status === 'ACTIVE');
  const activeRecommenders = group.recommenders.filter((r) => r.status === 'ACTIVE');
  const operation = h('select', {name: 'operation', id: 'try-operation'},
    h('option', {value: 'GetRecommendations'}, 'GetRecommendations'),
    h('option', {value: 'GetPersonalizedRanking'}, 'GetPersonalizedRanking'));
  const target = h('select', {name: 'target', id: 'try-target'},
    activeCampaigns.map((c) => h('option', {value: 'campaignArn ' + c.campaignArn}, `campaign ${c.name}`)),
    activeRecommenders.map((r) => h('option', {value: 'recommenderArn ' + r.recommenderArn, class: 'recommender'}, `recommender ${r.name}`)));
  const user = h('input', {name: 'userId', id: 'try-user'});
  user.value = userId;
  const item = h('input', {name: 'itemId', id: 'try-item', placeholder: 'for related-items recipes'});
  const numResults = h('input', {name: 'numResults', id: 'try-num', type: 'number', min: 1, max: 500, placeholder: '25'});
  const inputList = h('textarea', {name: 'inputList', id: 'try-input-list', rows: 2, placeholder: 'item ids to rank, separated by spaces, commas or lines'});
  const filter = h('select', {name: 'filterArn', id: 'try-filter'},
    h('option', {value: ''}, '(no filter)'),
    group.filters.map((f) => h('option', {value: f.filterArn, title: f.filterExpression}, f.name)));
  const filterValues = h('textarea', {name: 'filterValues', id: 'try-filter-values', rows: 2,
    placeholder: '{"EVENT_TYPE": "\\"click\\""}  (JSON object; each value as the API takes it)'});
  const result = h('div', {id: 'try-result', 'aria-live': 'polite'});

  const field = (label, input, cls) => h('label', {class: cls || null}, h('span', {}, label), input);
  const rankingOnly = field('Items to rank', inputList, 'ranking');
  const recommendationsOnly = [field('Item id', item, 'recs'), field('Number of results', numResults, 'recs')];
  const sync = () => {
    const ranking = operation.value === 'GetPersonalizedRanking';
    rankingOnly.hidden = !ranking;
    for (const f of recommendationsOnly) f.hidden = ranking;
    // GetPersonalizedRanking takes a campaign only.
    for (const o of target.querySelectorAll('option.recommender')) o.disabled = ranking;
    if (ranking && target.selectedOptions[0] && target.selectedOptions[0].disabled) {
      const first = target.querySelector('option:not(.recommender)');
      if (first) target.value = first.value;
    }
  };
  operation.addEventListener('change', sync);

  const build = () => {
    const input = {};
    const [member, value] = target.value.split(' ');
    if (member) input[member] = value;
    if (user.value.trim()) input.userId = user.value.trim();
    if (operation.value === 'GetPersonalizedRanking') {
      input.inputList = inputList.value.split(/[\s,]+/).filter(Boolean);
    } else {
      if (item.value.trim()) input.itemId = item.value.trim();
      if (numResults.value) input.numResults = Number(numResults.value);
    }
    if (filter.value) input.filterArn = filter.value;
    if (filterValues.value.trim()) {
      let values;
      try { values = JSON.parse(filterValues.value); } catch (e) { throw new Error('filterValues is not JSON: ' + e.message); }
      if (typeof values !== 'object' || values === null || Array.isArray(values)) throw new Error('filterValues must be a JSON object of strings');
      input.filterValues = values;
    }
    return input;
  };

  const submit = async (e) => {
    e.preventDefault();
    let input;
    try { input = build(); } catch (err) { result.replaceChildren(errorBox(err.message)); return; }
    const request = {operation: operation.value, input};
    result.replaceChildren(h('p', {class: 'muted'}, 'Calling ', operation.value, '…'));
    try {
      const answer = await post('try', request);
      const ok = answer.status >= 200 && answer.status < 300;
      result.replaceChildren(
        h('div', {class: 'try-status'},
          h('span', {class: 'badge ' + (ok ? 'good' : 'bad'), id: 'try-status'}, String(answer.status)),
          ok ? ' ' + operation.value : [' ', h('strong', {id: 'try-error-type'}, answer.error.type), ': ', h('span', {id: 'try-error-message'}, answer.error.message)]),
        h('details', {}, h('summary', {}, 'Request'), h('pre', {}, JSON.stringify(request.input, null, 2))),
        ok ? h('pre', {id: 'try-response'}, JSON.stringify(answer.response, null, 2)) : null);
    } catch (err) {
      result.replaceChildren(errorBox(err.message));
    }
  };

  const form = h('form', {class: 'try', id: 'try-form', onsubmit: submit},
    h('div', {class: 'fields'},
      field('Operation', operation), field('Campaign or recommender', target), field('User id', user),
      recommendationsOnly, rankingOnly, field('Filter', filter), field('Filter values', filterValues, 'wide')),
    h('button', {type: 'submit', disabled: activeCampaigns.length + activeRecommenders.length === 0}, 'Send'),
    activeCampaigns.length + activeRecommenders.length === 0 ? h('span', {class: 'muted'}, ' No ACTIVE campaign or recommender in this group.') : null);
  sync();
  return h('div', {}, form, result);
}

export async function userView(groupArn, userId) {
  const [u, g] = await Promise.all([
    get('user', {datasetGroupArn: groupArn, userId}),
    get('group', {arn: groupArn}),
  ]);
  const group = g.datasetGroup;
  const change = h('input', {name: 'userId', 'aria-label': 'another user id', placeholder: 'another user id'});
  const node = h('div', {},
    h('p', {class: 'crumbs'}, h('a', {href: '#/'}, 'Dataset groups'), ' / ', h('a', {href: route('group', groupArn)}, group.name), ' / '),
    h('div', {class: 'title'}, h('h1', {}, 'User ', h('code', {id: 'user-id'}, userId)),
      h('form', {class: 'inline', onsubmit: (e) => {
        e.preventDefault();
        if (change.value.trim()) location.hash = route('user', groupArn, change.value.trim());
      }}, change, h('button', {type: 'submit', class: 'secondary'}, 'Show'))),
    h('div', {class: 'columns'},
      section(`Timeline (${number(u.interactions.length)} interaction${u.interactions.length === 1 ? '' : 's'})`, timeline(u.interactions)),
      section('Recommendations now', u.recommendations.length === 0
        ? h('p', {class: 'empty'}, 'No ACTIVE campaign or recommender in this group yet.')
        : h('div', {class: 'recs', id: 'recommendations'}, u.recommendations.map(recommendationCard)))),
    section('Try it', tryForm(g, userId)));
  return {title: `User ${userId}`, node};
}
