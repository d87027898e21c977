// A new record started from a link (#/r/app/contact/new?customer=12: a contact of customer 12, from
// the customer's related records): the fields the address names, with related records' titles read
// through the picker (the read path) — a record the user may not read is left out.
import { api } from '../api.js';
import { fromApi } from './values.js';

const PLAIN = new Set(['text', 'textarea', 'email', 'phone', 'url', 'select', 'cascade', 'date', 'number', 'money', 'percent']);

async function titleOf(app, f, id) {
  if (f.type === 'relation') {
    const r = await api.get(`/records/${app}/${f.to}/picker`, { filter: { id: { in: [id] } }, page_size: 1 });
    return r.items.length ? r.items[0].title : null;
  }
  const path = f.type === 'user' ? '/users/directory' : '/departments/directory';
  const r = await api.get(path, { ids: String(id), limit: 1 });
  return r.items.length ? r.items[0].name : null;
}

export async function prefill(app, meta, query) {
  const out = {};
  for (const f of meta.fields) {
    const v = query[f.name];
    if (v === undefined || v === null || v === '' || Array.isArray(v)) continue;
    if (['relation', 'user', 'department'].includes(f.type)) {
      if (!/^\d+$/.test(v)) continue;
      const title = await titleOf(app, f, Number(v)).catch(() => null);
      if (title !== null) out[f.name] = { id: Number(v), title };
    } else if (PLAIN.has(f.type)) {
      out[f.name] = fromApi(f, v);
    }
  }
  return out;
}
