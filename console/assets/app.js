// The console's single-page app: a router on the URL hash (each view is
// linkable), a header with the account, and the views in views/.
import {h, errorBox} from './dom.js';
import {get, post, LoginRequired} from './api.js';
import {groupsView} from './views/groups.js';
import {groupView} from './views/group.js';
import {datasetView} from './views/dataset.js';
import {userView} from './views/user.js';
import {refusedView} from './views/refused.js';
import {metricsView} from './views/metrics.js';
import {loginView} from './views/login.js';

const main = document.getElementById('app');
const account = document.getElementById('account');

let session = null;
// cleanup stops what the current view runs (a live tail, a refresh timer)
// before the next view replaces it.
let cleanup = null;
// renders counts route changes so that a slow answer for a view the user
// already left is dropped.
let renders = 0;

// parse turns the hash into a view name and its arguments. ARNs hold
// slashes, so they travel encoded; a pasted, unencoded one still works.
function parse(hash) {
  const parts = hash.replace(/^#\/?/, '').split('/').map((p) => {
    try { return decodeURIComponent(p); } catch { return p; }
  });
  const [name, ...rest] = parts;
  switch (name) {
    case '': return {name: 'groups', args: []};
    case 'group':
    case 'dataset':
    case 'metrics':
      return {name, args: [rest.join('/')]};
    case 'user': {
      if (rest.length < 2) return {name: 'unknown', args: []};
      const userId = rest.pop();
      return {name, args: [rest.join('/'), userId]};
    }
    case 'refused':
    case 'login':
      return {name, args: []};
    default:
      return {name: 'unknown', args: []};
  }
}

const views = {
  groups: groupsView,
  group: groupView,
  dataset: datasetView,
  user: userView,
  refused: refusedView,
  metrics: metricsView,
};

function setNav(name) {
  for (const a of document.querySelectorAll('header nav a')) {
    a.classList.toggle('current', a.dataset.view === name || (a.dataset.view === 'groups' && ['group', 'dataset', 'user', 'metrics'].includes(name)));
  }
}

function renderAccount() {
  account.replaceChildren();
  if (!session) return;
  account.append(...[
    h('span', {class: 'muted'}, 'account '),
    h('code', {id: 'account-id'}, session.account),
    session.accessKeyId ? h('span', {class: 'muted'}, ' as ') : null,
    session.accessKeyId ? h('code', {}, session.accessKeyId) : null,
    session.auth === 'sigv4'
      ? h('button', {type: 'button', class: 'link', id: 'logout', onclick: logout}, 'log out')
      : h('span', {class: 'badge neutral', title: 'perch serve --auth none'}, 'no auth'),
  ].filter(Boolean));
}

async function logout() {
  try { await post('logout'); } catch { /* the session is gone either way */ }
  session = null;
  renderAccount();
  location.hash = '#/login';
}

function showLogin(returnTo) {
  if (cleanup) { cleanup(); cleanup = null; }
  setNav('login');
  document.title = 'Log in · perch console';
  main.replaceChildren(loginView({
    returnTo,
    onLogin: (s, target) => {
      session = s;
      renderAccount();
      if (location.hash === target) render(); else location.hash = target;
    },
  }));
}

async function render() {
  const id = ++renders;
  if (cleanup) { cleanup(); cleanup = null; }
  const {name, args} = parse(location.hash);
  setNav(name);
  if (name === 'login') {
    // With --auth none there is nothing to log in to.
    if (session && session.auth === 'none') { location.hash = '#/'; return; }
    showLogin(sessionStorage.getItem('perch-return') || '#/');
    return;
  }
  try {
    if (!session) {
      session = await get('session');
      renderAccount();
    }
    const view = views[name];
    if (!view) {
      main.replaceChildren(errorBox('There is no such page. '), h('a', {href: '#/'}, 'Back to the dataset groups'));
      return;
    }
    main.setAttribute('aria-busy', 'true');
    const out = await view(...args);
    if (id !== renders) {
      if (out.cleanup) out.cleanup();
      return;
    }
    document.title = out.title + ' · perch console';
    main.replaceChildren(out.node);
    cleanup = out.cleanup || null;
  } catch (err) {
    if (id !== renders) return;
    if (err instanceof LoginRequired) {
      session = null;
      renderAccount();
      sessionStorage.setItem('perch-return', location.hash || '#/');
      showLogin(location.hash || '#/');
      return;
    }
    main.replaceChildren(errorBox(err.message));
  } finally {
    if (id === renders) main.removeAttribute('aria-busy');
  }
}

window.addEventListener('hashchange', render);
render();
