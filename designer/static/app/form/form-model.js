// One record being edited: its values, the flags and messages the form state last gave, what the
// user has touched, and the edits (a field, a sub-table cell, rows added, removed or moved). The
// controls reach it through provide/inject (FORM), so a layout of any depth needs no prop chains.
import { isBlank } from '../fields.js';
import { blankRow, changes, fromApi, isComputed, sameValue, splitPath, writable } from './values.js';

const { reactive } = Vue;
export const FORM = 'jimu.form';
// messages the user has not provoked yet: shown once they touch the field, or try to save
const QUIET = new Set(['required', 'min_rows']);
const LINKS = new Set(['relation', 'user', 'department']); // what a default_expr reads through

export function createForm({ app, entity, meta, creating, readonly, onEdit }) {
  const fields = meta.fields;
  const byName = new Map(fields.map((f) => [f.name, f]));
  const locked = new Set((meta.locked || {})[creating ? 'create' : 'update'] || []);
  const state = reactive({
    app, entity, meta, creating, readonly,
    id: null, version: null,
    model: {}, original: {},
    flags: {}, rows: {}, errors: [],
    touched: new Set(), auto: new Set(), edited: false, showAll: false,
  });

  function load(record) {
    const model = {};
    for (const f of fields) model[f.name] = fromApi(f, record ? record[f.name] : null);
    state.model = model;
    const original = {};
    for (const f of fields) original[f.name] = fromApi(f, record ? record[f.name] : null);
    state.original = original;
    state.id = record ? record.id : null;
    state.version = record ? record.version : null;
    state.errors = [];
    state.touched = new Set();
    state.auto = new Set();
    state.edited = false;
    state.showAll = false;
  }

  const values = () => writable(fields, state.model, { creating: !state.id, locked });
  const patch = () => changes(fields, state.model, state.original, locked);

  function edited(path) {
    state.touched.add(path);
    state.edited = true;
    if (onEdit) onEdit(path);
  }

  // a default the server filled in (not typed by the user) is asked for again when a relation or
  // choice it may come from changes: blank it, the next answer fills the new one
  function refreshDefaults(store, autos) {
    for (const name of autos) store[name] = Array.isArray(store[name]) ? [] : null;
    if (Array.isArray(autos)) autos.splice(0); else autos.clear();
  }

  // the same record again (a picker that looked up its title) is no edit
  const sameLink = (f, before, after) => f && LINKS.has(f.type) && before && after && before.id === after.id;

  // a control that only normalises its blank (a rating's 0 stars, a switch's false for a blank yes/no is
  // not this: false is a value) emits what a save would send alike: no edit, nothing marked unsaved
  const noChange = (f, before, after) => f && f.type !== 'subtable' && (sameLink(f, before, after)
    || (!LINKS.has(f.type) && sameValue(f, before, after)));

  function set(name, value) {
    const f = byName.get(name);
    if (noChange(f, state.model[name], value)) { state.model[name] = value; return; }
    state.model[name] = value;
    state.auto.delete(name);
    if (f && LINKS.has(f.type)) refreshDefaults(state.model, state.auto);
    if (f && ['select', 'cascade'].includes(f.type)) {
      for (const child of fields) { // a cascade whose parent changed starts again
        if (child.type === 'cascade' && child.parent === name && !isBlank(state.model[child.name])) {
          const o = (child.options || []).find((x) => x.value === state.model[child.name]);
          if (!o || o.parent !== value) state.model[child.name] = null;
        }
      }
    }
    edited(name);
  }

  const cellKey = (name, row, col) => `${name}:${row._key}:${col}`;

  function setCell(name, index, col, value) {
    const sub = byName.get(name);
    const row = state.model[name][index];
    const c = (sub.fields || []).find((x) => x.name === col);
    if (noChange(c, row[col], value)) { row[col] = value; return; }
    row[col] = value;
    row._auto = row._auto.filter((x) => x !== col);
    if (c && LINKS.has(c.type)) refreshDefaults(row, row._auto);
    state.touched.add(cellKey(name, row, col));
    edited(name);
  }

  function addRow(name) {
    state.model[name] = [...(state.model[name] || []), blankRow(byName.get(name))];
    edited(name);
  }

  function removeRow(name, index) {
    state.model[name] = state.model[name].filter((_, i) => i !== index);
    edited(name);
  }

  function moveRow(name, index, delta) {
    const rows = [...state.model[name]];
    const to = index + delta;
    if (to < 0 || to >= rows.length) return;
    [rows[index], rows[to]] = [rows[to], rows[index]];
    state.model[name] = rows;
    edited(name);
  }

  // the form state's answer: computed values always; a blank the server fills is a default
  function answer(r) {
    state.flags = r.fields || {};
    state.rows = r.rows || {};
    state.errors = r.errors || [];
    const vals = r.values || {};
    for (const f of fields) {
      if (!(f.name in vals)) continue;
      const v = vals[f.name];
      if (f.type === 'subtable') { mergeRows(f, v || []); continue; }
      if (isComputed(f)) { state.model[f.name] = fromApi(f, v); continue; }
      const mine = state.model[f.name];
      if (isBlank(mine) && !isBlank(v)) {
        state.model[f.name] = fromApi(f, v);
        state.auto.add(f.name);
      } else if (mine && v && typeof mine === 'object' && !Array.isArray(mine) && mine.id === v.id && v.title) {
        mine.title = v.title; // a record chosen by id (a link from another record) gets its title
      }
    }
  }

  function mergeRows(sub, rows) {
    const mine = state.model[sub.name] || [];
    if (rows.length !== mine.length) return;
    rows.forEach((row, i) => {
      const m = mine[i];
      for (const c of sub.fields || []) {
        if (!(c.name in row)) continue;
        if (isComputed(c)) m[c.name] = fromApi(c, row[c.name]);
        else if (isBlank(m[c.name]) && !isBlank(row[c.name])) {
          m[c.name] = fromApi(c, row[c.name]);
          if (!m._auto.includes(c.name)) m._auto.push(c.name);
        }
      }
    });
  }

  function shown(e, touchedKey) {
    if (state.showAll) return true;
    if (QUIET.has(e.code)) return state.touched.has(touchedKey);
    return state.edited;
  }

  function errorsAt(path) {
    return state.errors.filter((e) => e.path === path && shown(e, path));
  }

  function cellErrors(name, index, col) {
    const row = (state.model[name] || [])[index];
    const path = `${name}[${index}].${col}`;
    return row ? state.errors.filter((e) => e.path === path && shown(e, cellKey(name, row, col))) : [];
  }

  function rowErrors(name, index) {
    const path = `${name}[${index}]`;
    return state.errors.filter((e) => e.path === path && shown(e, name));
  }

  const flag = (name) => state.flags[name] || {};
  const cellFlag = (name, index, col) => ((state.rows[name] || [])[index] || {})[col] || {};
  const isLocked = (name) => locked.has(name);

  // messages with no place on the form (a field it does not show, the record as a whole)
  function strayErrors(placed) {
    return state.errors.filter((e) => {
      const p = splitPath(e.path);
      return !placed.has(p.name);
    });
  }

  // an answer is on its way (the form state's busy flag): a picker waits for it, or it could offer
  // records the filter that answer brings would leave out (a new sub-table row has no filter yet)
  let busy = null;
  const follow = (ref) => { busy = ref; };
  const waiting = () => !!(busy && busy.value);

  return {
    state, fields, byName, load, values, patch, set, setCell, addRow, removeRow, moveRow, answer,
    errorsAt, cellErrors, rowErrors, flag, cellFlag, isLocked, strayErrors, follow, waiting,
  };
}
