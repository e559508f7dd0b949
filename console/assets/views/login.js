import {h, errorBox} from '../dom.js';
import {post} from '../api.js';

// loginView asks for a key of the server's credentials file; the session
// it opens shows that key's account only.
export function loginView({returnTo, onLogin}) {
  const keyId = h('input', {name: 'accessKeyId', id: 'login-key', autocomplete: 'username', required: true, spellcheck: 'false'});
  const secret = h('input', {name: 'secretAccessKey', id: 'login-secret', type: 'password', autocomplete: 'current-password', required: true});
  const message = h('div', {'aria-live': 'polite'});
  const button = h('button', {type: 'submit'}, 'Log in');
  const form = h('form', {class: 'login', id: 'login-form', onsubmit: async (e) => {
    e.preventDefault();
    button.disabled = true;
    message.replaceChildren();
    try {
      const session = await post('login', {accessKeyId: keyId.value.trim(), secretAccessKey: secret.value});
      sessionStorage.removeItem('perch-return');
      onLogin(session, returnTo && returnTo !== '#/login' ? returnTo : '#/');
    } catch (err) {
      message.replaceChildren(errorBox(err.status === 401 ? 'That access key id and secret access key are not in the server\'s credentials file.' : err.message));
      secret.value = '';
      secret.focus();
    } finally {
      button.disabled = false;
    }
  }},
  h('h1', {}, 'Log in'),
  h('p', {class: 'muted'}, 'perch serve runs with --auth sigv4: log in with an access key id and secret access key from its credentials file. The console then shows that key\'s account.'),
  h('label', {}, h('span', {}, 'Access key id'), keyId),
  h('label', {}, h('span', {}, 'Secret access key'), secret),
  message, button);
  setTimeout(() => keyId.focus(), 0);
  return h('div', {class: 'login-box'}, form);
}
