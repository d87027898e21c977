// Field values as people read them, and what each field type offers a list: the widget its filter
// uses and the API filter it sends. Everything is keyed by the value type the server reports
// (value_type: a formula's result, a lookup's source type), never by an entity or field name.
import { label, lang, t } from './i18n.js';

const COLORS = {
  red: '#f56c6c', orange: '#e6a23c', yellow: '#d4b106', green: '#67c23a', cyan: '#13c2c2', blue: '#409eff',
  purple: '#9254de', gray: '#909399', grey: '#909399',
};

export function options(field) {
  return field.options || (field.value_def && field.value_def.options) || [];
}

export function option(field, value) {
  return options(field).find((o) => o.value === value);
}

export function optionLabel(field, value) {
  const o = option(field, value);
  return o ? label(o.label, String(value)) : String(value);
}

export function colorOf(name) {
  if (!name) return null;
  return COLORS[name] || (/^#[0-9a-f]{3,8}$/i.test(name) ? name : null);
}

const CURRENCY = { CNY: '¥', USD: '$', EUR: '€', GBP: '£', JPY: '¥', HKD: 'HK$' };

function locale() { return lang.value === 'zh' ? 'zh-CN' : 'en-US'; }

function number(v, min, max) {
  const n = Number(v);
  if (!Number.isFinite(n)) return String(v);
  return n.toLocaleString(locale(), { minimumFractionDigits: min, maximumFractionDigits: Math.max(min, max) });
}

function two(n) { return String(n).padStart(2, '0'); }

// the API's times are UTC: "…Z", or naive (inbox times); shown in the browser's zone
export function localDateTime(iso) {
  const text = String(iso);
  const d = new Date(/(Z|[+-]\d\d:?\d\d)$/i.test(text) ? text : `${text}Z`);
  if (Number.isNaN(d.getTime())) return String(iso);
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}`;
}

export function isBlank(v) {
  return v === null || v === undefined || v === '' || (Array.isArray(v) && v.length === 0);
}

// a value as text (select options and relations too); CellValue shows options as coloured tags
export function formatValue(field, v) {
  if (isBlank(v)) return '';
  const def = { ...(field.value_def || {}), ...field };
  switch (field.value_type || field.type) {
    case 'relation': case 'user': case 'department':
      return typeof v === 'object' ? (v.title || v.name || `#${v.id}`) : `#${v}`;
    case 'select': case 'cascade':
      return optionLabel(field, v);
    case 'multiselect':
      return (Array.isArray(v) ? v : [v]).map((x) => optionLabel(field, x)).join(lang.value === 'zh' ? '、' : ', ');
    case 'boolean':
      return v ? t('value.yes') : t('value.no');
    case 'money': {
      const sign = CURRENCY[def.currency] || '';
      return sign + number(v, 2, def.precision ?? 2);
    }
    case 'number':
      return number(v, 0, def.precision ?? 4);
    case 'percent':
      return `${number(Number(v) * 100, 0, def.precision ?? 2)}%`;
    case 'rating':
      return '★'.repeat(Number(v) || 0);
    case 'datetime':
      return localDateTime(v);
    case 'attachment': case 'image':
      return t('value.files', { n: Array.isArray(v) ? v.length : 1 });
    case 'subtable':
      return t('value.rows', { n: Array.isArray(v) ? v.length : 0 });
    case 'richtext':
      return String(v).replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim();
    default:
      return typeof v === 'object' ? JSON.stringify(v) : String(v);
  }
}

// --- filters ----------------------------------------------------------------------------------------
// the widget a field's filter uses, from its value type and the operators the server allows
export function filterKind(field) {
  const ops = field.filter_ops || [];
  const vt = field.value_type || field.type;
  if (!ops.length) return null;
  if (vt === 'multiselect' && ops.includes('has_any')) return 'options-any';
  if (['select', 'cascade'].includes(vt) && ops.includes('in')) return 'options';
  if (vt === 'relation' && ops.includes('in')) return 'relation';
  if (vt === 'boolean' && ops.includes('eq')) return 'boolean';
  if (['date', 'datetime'].includes(vt) && ops.includes('between')) return vt === 'date' ? 'date-range' : 'datetime-range';
  if (['number', 'money', 'percent', 'rating'].includes(vt) && ops.includes('between')) return 'number-range';
  if (ops.includes('contains')) return 'text';
  return null;
}

function dayStart(d) { return new Date(`${d}T00:00:00`).toISOString(); }
function dayEnd(d) { return new Date(`${d}T23:59:59`).toISOString(); }
// a percent is typed as 15 and filtered as 0.15; toPrecision drops the binary noise of * and /
const tidy = (n) => String(Number(n.toPrecision(12)));
function fraction(v, field) { return field.value_type === 'percent' ? tidy(Number(v) / 100) : String(v); }
function percentOf(v, field) { return field.value_type === 'percent' ? tidy(Number(v) * 100) : String(v); }
const present = (v) => v !== null && v !== undefined && v !== '';

// the widget's value -> the list endpoint's filter for the field, or null when it filters nothing
export function toApiFilter(field, value) {
  switch (filterKind(field)) {
    case 'text': return present(value) && String(value).trim() ? { contains: String(value).trim() } : null;
    case 'options': return value && value.length ? { in: value } : null;
    case 'options-any': return value && value.length ? { has_any: value } : null;
    case 'relation': return value && value.length ? { in: value.map((r) => r.id) } : null;
    case 'boolean': return value === true || value === false ? { eq: value } : null;
    case 'date-range': {
      const [a, b] = value || [];
      return a || b ? { between: [a || null, b || null] } : null;
    }
    case 'datetime-range': {
      const [a, b] = value || [];
      return a || b ? { between: [a ? dayStart(a) : null, b ? dayEnd(b) : null] } : null;
    }
    case 'number-range': {
      const [a, b] = value || [];
      return present(a) || present(b)
        ? { between: [present(a) ? fraction(a, field) : null, present(b) ? fraction(b, field) : null] } : null;
    }
    default: return null;
  }
}

// a saved filter -> the widget's value (relations come back as ids; the picker finds their titles)
export function fromApiFilter(field, spec) {
  if (spec === null || typeof spec !== 'object') spec = { eq: spec };
  const between = spec.between || [];
  switch (filterKind(field)) {
    case 'text': return spec.contains ?? spec.eq ?? '';
    case 'options': return spec.in || (spec.eq !== undefined ? [spec.eq] : []);
    case 'options-any': return spec.has_any || [];
    case 'relation': return (spec.in || (spec.eq !== undefined ? [spec.eq] : [])).map((id) => ({ id, title: `#${id}` }));
    case 'boolean': return spec.eq ?? null;
    case 'date-range': return [between[0] || null, between[1] || null];
    case 'datetime-range': return between.map((x) => (x ? localDateTime(x).slice(0, 10) : null));
    case 'number-range': return between.map((x) => (present(x) ? percentOf(x, field) : null));
    default: return null;
  }
}
