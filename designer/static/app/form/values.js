// Values between the API and the form: what an input holds (numbers as exact text, a percent as
// its fraction, relations as {id, title}, sub-table rows with a key of their own) and what a write
// or the form state sends (ids, text numbers, nulls for blanks, computed fields left out).
import { isBlank } from '../fields.js';

export const COMPUTED = new Set(['formula', 'lookup', 'rollup', 'autonumber']);
export const WIDE = new Set(['subtable', 'richtext', 'textarea', 'attachment', 'image']);
const PEOPLE = new Set(['relation', 'user', 'department']);
const NUMERIC = new Set(['number', 'money', 'percent']);
const FILES = new Set(['attachment', 'image']);

export const isComputed = (f) => COMPUTED.has(f.type);
export const isWide = (f) => WIDE.has(f.type);
export const isLink = (f) => PEOPLE.has(f.type);

let keys = 0;
export const newKey = () => `r${++keys}`;

// "lines[2].qty" -> {name: "lines", row: 2, col: "qty"}; "name" -> {name: "name"}
export function splitPath(path) {
  const m = /^([^.[]+)(?:\[(\d+)\](?:\.(.+))?)?(?:\.(.+))?$/.exec(path || '');
  if (!m) return { name: '' };
  return { name: m[1], row: m[2] === undefined ? null : Number(m[2]), col: m[3] || null, sub: m[4] || null };
}

// --- exact decimal text ---------------------------------------------------------------------------
// a decimal's text with its point moved by `places` (2: ×100), without passing through a float
export function shiftDecimal(text, places) {
  const s = String(text).trim();
  const m = /^([+-]?)(\d*)(?:\.(\d*))?$/.exec(s);
  if (!m || (!m[2] && !m[3])) return s;
  const sign = m[1] === '-' ? '-' : '';
  let int = m[2] || '';
  let frac = m[3] || '';
  if (places > 0) {
    frac = frac.padEnd(places, '0');
    int += frac.slice(0, places);
    frac = frac.slice(places);
  } else if (places < 0) {
    const n = -places;
    int = int.padStart(n + 1, '0');
    frac = int.slice(int.length - n) + frac;
    int = int.slice(0, int.length - n);
  }
  int = int.replace(/^0+(?=\d)/, '') || '0';
  frac = frac.replace(/0+$/, '');
  const out = frac ? `${int}.${frac}` : int;
  return out === '0' ? '0' : sign + out;
}

export const fractionToPercent = (v) => (isBlank(v) ? '' : shiftDecimal(v, 2));
export const percentToFraction = (text) => (isBlank(text) ? null : shiftDecimal(text, -2));

// --- API -> form ------------------------------------------------------------------------------------
export function fromApi(f, v) {
  if (f.type === 'subtable') return (v || []).map((row) => rowFromApi(f, row));
  if (v === null || v === undefined) return FILES.has(f.type) || f.type === 'multiselect' ? [] : null;
  if (NUMERIC.has(f.type)) return String(v);
  if (f.type === 'rating') return Number(v);
  if (FILES.has(f.type)) return v.map((x) => ({ ...x }));
  if (Array.isArray(v)) return [...v];
  if (typeof v === 'object') return { ...v };
  return v;
}

export function rowFromApi(sub, row) {
  const out = { _key: newKey(), _auto: [], id: row.id ?? null };
  for (const c of sub.fields || []) out[c.name] = fromApi(c, row[c.name]);
  return out;
}

export function blankRow(sub) {
  const out = { _key: newKey(), _auto: [], id: null };
  for (const c of sub.fields || []) out[c.name] = fromApi(c, null);
  return out;
}

// --- form -> API --------------------------------------------------------------------------------------
export function toApi(f, v) {
  if (v === undefined) return null;
  if (PEOPLE.has(f.type)) return v && typeof v === 'object' ? v.id : (v ?? null);
  if (NUMERIC.has(f.type)) {
    const s = v === null ? '' : String(v).trim();
    return s === '' ? null : s;
  }
  if (FILES.has(f.type)) return v && v.length ? v.map((x) => x.id) : null;
  if (f.type === 'multiselect') return v && v.length ? [...v] : null;
  if (f.type === 'subtable') {
    return (v || []).map((row) => {
      const out = row.id ? { id: row.id } : {};
      for (const c of f.fields || []) if (!isComputed(c)) out[c.name] = toApi(c, row[c.name]);
      return out;
    });
  }
  if (v === '') return null;
  return v;
}

const emptyOut = (v) => v === null || (Array.isArray(v) && v.length === 0);

// the values a create or the form state sends: every field the user may write (a create leaves
// blanks out, so the definition's defaults apply)
export function writable(fields, model, { creating, locked }) {
  const out = {};
  for (const f of fields) {
    if (isComputed(f) || locked.has(f.name)) continue;
    const v = toApi(f, model[f.name]);
    if (creating && emptyOut(v)) continue;
    out[f.name] = v;
  }
  return out;
}

// two values of a field that a save would send alike (a rating's 0 stars and a blank, [] and null,
// "" and null): a control normalising its blank has not changed anything
export function sameValue(f, a, b) {
  const now = toApi(f, a);
  const before = toApi(f, b);
  return JSON.stringify(now) === JSON.stringify(before) || (emptyOut(now) && emptyOut(before));
}

// the fields whose value differs from the record as loaded: what a PATCH sends
export function changes(fields, model, original, locked) {
  const out = {};
  for (const f of fields) {
    if (isComputed(f) || locked.has(f.name)) continue;
    if (!sameValue(f, model[f.name], original[f.name])) out[f.name] = toApi(f, model[f.name]);
  }
  return out;
}
