// Who changed what: the record's audit trail (GET …/{id}/history), newest first, field by field, old
// value → new. Related records show their titles where the user may read them (through the picker,
// the read path), else their id; sub-tables say which rows changed.
import { api } from '../api.js';
import { label, t } from '../i18n.js';
import { formatValue, isBlank, localDateTime } from '../fields.js';
import { can } from '../session.js';

const { ref, computed, watch } = Vue;

export default {
  name: 'HistoryTab',
  props: {
    app: { type: String, required: true },
    entity: { type: String, required: true },
    recordId: { type: [Number, String], required: true },
    meta: { type: Object, required: true },
    reloadKey: { type: Number, default: 0 },
  },
  setup(props) {
    const items = ref([]);
    const loading = ref(false);
    const failure = ref(null);
    const titles = ref({}); // "entity:id" -> title
    const byName = computed(() => new Map(props.meta.fields.map((f) => [f.name, f])));

    async function resolveTitles(list) {
      const wanted = new Map(); // entity -> Set(ids)
      const add = (to, id) => { if (to && id !== null && id !== undefined && typeof id !== 'object') (wanted.get(to) || wanted.set(to, new Set()).get(to)).add(id); };
      for (const it of list) {
        for (const [name, ch] of Object.entries(it.changes || {})) {
          const f = byName.value.get(name);
          if (!f) continue;
          if (f.type === 'relation') { add(f.to, ch.old); add(f.to, ch.new); }
          if (f.type === 'subtable') {
            for (const c of (f.fields || []).filter((x) => x.type === 'relation')) {
              for (const row of [...(ch.old || []), ...(ch.new || [])]) add(c.to, row[c.name]);
            }
          }
        }
      }
      const out = {};
      for (const [to, ids] of wanted) {
        if (!can(props.app, to, 'read')) continue;
        try {
          const r = await api.get(`/records/${props.app}/${to}/picker`, { filter: { id: { in: [...ids] } }, page_size: Math.min(ids.size, 500) });
          for (const x of r.items) out[`${to}:${x.id}`] = x.title;
        } catch (e) { /* titles are a nicety: ids stay */ }
      }
      titles.value = out;
    }

    async function load() {
      loading.value = true;
      try {
        const r = await api.get(`/records/${props.app}/${props.entity}/${props.recordId}/history`);
        items.value = [...r.items].reverse();
        failure.value = null;
        await resolveTitles(r.items);
      } catch (e) {
        failure.value = e;
      } finally {
        loading.value = false;
      }
    }
    watch(() => props.reloadKey, load, { immediate: true });

    function show(f, v) {
      if (isBlank(v)) return t('history.blank');
      if (f.type === 'relation') return titles.value[`${f.to}:${v}`] || `#${v}`;
      if (f.type === 'attachment' || f.type === 'image') return (v || []).map((x) => x.name || x.id).join(', ');
      return formatValue(f, v);
    }

    function rowsChange(f, ch) {
      const before = new Map((ch.old || []).map((r) => [r.id, r]));
      const after = ch.new || [];
      const cols = (f.fields || []).filter((c) => c.type !== 'formula');
      const out = [];
      after.forEach((row, i) => {
        const was = before.get(row.id);
        if (!was) return;
        for (const c of cols) {
          if (JSON.stringify(was[c.name] ?? null) !== JSON.stringify(row[c.name] ?? null)) {
            out.push(`${t('history.row', { n: i + 1 })} ${label(c.label, c.name)}: ${show(c, was[c.name])} → ${show(c, row[c.name])}`);
          }
        }
      });
      const kept = new Set(after.map((r) => r.id));
      const added = after.filter((r) => !before.has(r.id)).length;
      const removed = (ch.old || []).filter((r) => !kept.has(r.id)).length;
      if (added) out.push(t('history.rows_added', { n: added }));
      if (removed) out.push(t('history.rows_removed', { n: removed }));
      return out;
    }

    function lines(it) {
      const out = [];
      for (const [name, ch] of Object.entries(it.changes || {})) {
        const f = byName.value.get(name);
        if (!f) continue;
        if (f.type === 'subtable') {
          const what = it.action === 'create' ? [t('form.rows_total', { n: (ch.new || []).length })] : rowsChange(f, ch);
          if (what.length) out.push({ name, label: label(f.label, name), text: what.join('；') });
        } else if (it.action === 'create') {
          if (!isBlank(ch.new)) out.push({ name, label: label(f.label, name), text: show(f, ch.new) });
        } else {
          out.push({ name, label: label(f.label, name), old: show(f, ch.old), new: show(f, ch.new) });
        }
      }
      return out;
    }

    const headline = (it) => {
      const who = it.actor ? it.actor.name : t('history.system');
      const n = Object.keys(it.changes || {}).filter((k) => byName.value.has(k)).length;
      return t(`history.${it.action === 'create' ? 'created' : it.action === 'delete' ? 'deleted' : it.action === 'restore' ? 'restored' : 'updated'}`, { who, n });
    };
    return { items, loading, failure, lines, headline, localDateTime, label, load };
  },
  template: `
    <div class="history-tab" v-loading="loading" data-test="history">
      <el-alert v-if="failure" type="error" :closable="false" :title="label(failure.message)" />
      <el-empty v-else-if="!loading && !items.length" :description="t('history.empty')" :image-size="60" />
      <el-timeline v-else>
        <el-timeline-item v-for="it in items" :key="it.version + it.at" :timestamp="localDateTime(it.at)" placement="top"
                          :type="it.action === 'create' ? 'primary' : undefined" class="history-item" :data-version="it.version">
          <div class="history-head">{{ headline(it) }}</div>
          <ul class="history-changes">
            <li v-for="c in lines(it)" :key="c.name" :data-field="c.name">
              <span class="history-field">{{ c.label }}</span>
              <template v-if="c.text !== undefined">: <span class="history-new">{{ c.text }}</span></template>
              <template v-else>: <span class="history-old">{{ c.old }}</span> → <span class="history-new">{{ c.new }}</span></template>
            </li>
          </ul>
        </el-timeline-item>
      </el-timeline>
    </div>`,
};
