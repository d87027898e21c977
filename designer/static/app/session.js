// The signed-in user and what comes with them: their apps and rights (for menus and buttons), the
// entities' definitions as pages need them (cached), and the inbox counts shown in the header.
import { api, setCsrfToken } from './api.js';
import { lang, setLanguage } from './i18n.js';

const { reactive } = Vue;
const SIGNED_IN = 'jimu.signedIn'; // a hint only: the session cookie is HttpOnly; the server decides
const CHOSEN = 'jimu.langChosen'; // the language was picked on the sign-in page: save it to the account

export const session = reactive({
  user: null,
  apps: [], // [{name, label, entities: [{name, label, actions: {read, create, ...}, hidden}]}]
  // counts and latest items per kind; sources: [{kind, label {zh,en}, count}], the built-in to-dos and
  // notifications then every kind engines add (GET /inbox)
  inbox: { counts: { todos: 0, notifications: 0 }, total: 0, latest: {}, sources: [] },
});

const metas = new Map();

async function start(user, csrf, signingIn) {
  setCsrfToken(csrf);
  localStorage.setItem(SIGNED_IN, '1');
  session.user = user;
  if (signingIn && sessionStorage.getItem(CHOSEN) && user.language !== lang.value) {
    await saveLanguage(lang.value);
  } else {
    setLanguage(user.language);
  }
  sessionStorage.removeItem(CHOSEN);
  await loadAccess();
  refreshInbox();
}

// resume a session after a reload; false when there is none (no request is made without the hint,
// so a first visit goes straight to the sign-in page)
export async function restore() {
  if (session.user) return true;
  if (!localStorage.getItem(SIGNED_IN)) return false;
  try {
    const me = await api.get('/auth/me');
    await start(me.user, me.csrf_token, false);
    return true;
  } catch (e) {
    if (e.status === 401) { forget(); return false; }
    throw e;
  }
}

export async function signIn(login, password) {
  const r = await api.post('/auth/login', { login, password });
  await start(r.user, r.csrf_token, true);
}

// this page forgets the user at once (a page opened meanwhile asks to sign in); the server ends the
// session with the CSRF token it still holds
export async function signOut() {
  forget(false);
  try { await api.post('/auth/logout'); } finally { setCsrfToken(null); }
}

export function forget(dropToken = true) {
  session.user = null;
  session.apps = [];
  metas.clear();
  if (dropToken) setCsrfToken(null);
  localStorage.removeItem(SIGNED_IN);
}

export async function loadAccess() {
  session.apps = (await api.get('/auth/me/access')).apps;
}

// the language switch: on the sign-in page it is remembered for the account; signed in, it is saved
export async function chooseLanguage(value) {
  setLanguage(value);
  if (session.user) await saveLanguage(value);
  else sessionStorage.setItem(CHOSEN, '1');
}

async function saveLanguage(value) {
  setLanguage(value);
  session.user = (await api.patch('/auth/me', { language: value })).user;
}

export function entityAccess(app, entity) {
  const a = session.apps.find((x) => x.name === app);
  return a ? a.entities.find((e) => e.name === entity) : undefined;
}

export function can(app, entity, action) {
  const e = entityAccess(app, entity);
  return Boolean(e && e.actions[action]);
}

// GET /api/v1/ui/entities/{app}/{entity}: fields with value_type, filter_ops, sortable; list_columns;
// field_order (the layout's); actions; hidden (designer/ui_meta.py)
export async function entityMeta(app, entity) {
  const key = `${app}/${entity}`;
  if (!metas.has(key)) metas.set(key, api.get(`/ui/entities/${app}/${entity}`).catch((e) => { metas.delete(key); throw e; }));
  return metas.get(key);
}

export async function refreshInbox() {
  if (!session.user) return;
  try {
    session.inbox = await api.get('/inbox', { latest: 5 });
  } catch (e) {
    if (e.status !== 401) throw e;
  }
}
