// A kanban board of any entity by one of its select fields (#/k/:app/:entity/:field): a column per
// option (its label and colour), the records as cards. Dragging a card to another column changes the
// field with a PATCH carrying the version read — the same transitions and stage requirements as any
// write — and a refused move puts the card back and says why. Nothing here knows an entity.
import '../form/messages.js';
import { api } from '../api.js';
import { label, t } from '../i18n.js';
import { colorOf } from '../fields.js';
import { entityMeta } from '../session.js';
import { kanbanRoute, listRoute, newRecordRoute, recordRoute } from '../links.js';
import KanbanCard from '../form/kanban-card.js';

const { ref, computed } = Vue;
const { useRoute, useRouter } = VueRouter;
const { ElMessage } = ElementPlus;
const { Plus, List } = ElementPlusIconsVue;
const PAGE = 50;
const NOT_ON_CARD = new Set(['subtable', 'attachment', 'image', 'richtext', 'textarea']);

export default {
  name: 'KanbanPage',
  components: { KanbanCard },
  setup() {
    const route = useRoute();
    const router = useRouter();
    const { app, entity, field } = route.params;
    const meta = ref(null);
    const failure = ref(null);
    const columns = ref([]);
    const loading = ref(false);
    const refusal = ref(null);
    const drag = ref(null); // {card, from}
    const over = ref(null);

    const stateField = computed(() => meta.value && meta.value.fields.find((f) => f.name === field));
    const selects = computed(() => (meta.value ? meta.value.fields.filter((f) => f.type === 'select') : []));
    const base = `/records/${app}/${entity}`;

    const cardFields = computed(() => {
      const m = meta.value;
      if (!m) return [];
      const inTitle = new Set([...(m.title || '').matchAll(/\{([^}.]+)/g)].map((x) => x[1]));
      const byName = new Map(m.fields.map((f) => [f.name, f]));
      const usable = (n) => n !== field && !inTitle.has(n) && byName.has(n) && !NOT_ON_CARD.has(byName.get(n).value_type);
      const names = m.list_columns.filter(usable).slice(0, 3);
      const money = m.field_order.find((n) => usable(n) && byName.get(n).value_type === 'money');
      if (money && !names.includes(money)) names.push(money);
      return names.map((n) => byName.get(n));
    });

    function allowedFrom(current) {
      const f = stateField.value;
      const all = (f.options || []).map((o) => o.value);
      const tr = f.transitions;
      if (!tr) return all.filter((v) => v !== current);
      if (current === null || current === undefined) return tr.initial || all;
      const onward = new Set([...(tr[current] || []), ...(tr['*'] || [])]);
      return all.filter((v) => v !== current && onward.has(v));
    }
    const movesOf = (card) => allowedFrom(card[field]).map((v) => {
      const col = columns.value.find((c) => c.value === v);
      return { value: v, label: col ? col.label : v };
    });

    async function loadColumn(col) {
      const filter = col.value === null ? { [field]: { blank: true } } : { [field]: { eq: col.value } };
      const r = await api.get(base, { filter, page_size: PAGE, sort: '-updated_at' });
      col.items = r.items;
      col.total = r.total;
    }

    async function load() {
      loading.value = true;
      try {
        const f = stateField.value;
        const cols = (f.options || []).map((o) => ({ value: o.value, label: label(o.label, o.value), color: colorOf(o.color), items: [], total: 0 }));
        const unset = { value: null, label: t('kanban.unset'), color: null, items: [], total: 0 };
        await Promise.all([...cols, unset].map(loadColumn));
        columns.value = unset.total ? [unset, ...cols] : cols;
      } catch (e) {
        failure.value = e;
      } finally {
        loading.value = false;
      }
    }

    entityMeta(app, entity).then((m) => {
      meta.value = m;
      if (!stateField.value || stateField.value.type !== 'select') {
        failure.value = { message: { zh: t('kanban.no_field'), en: t('kanban.no_field') } };
        return;
      }
      load();
    }).catch((e) => { failure.value = e; });

    async function move(card, to) {
      const from = columns.value.find((c) => c.items.includes(card));
      const target = columns.value.find((c) => c.value === to);
      if (!from || !target || from === target || to === null) return;
      refusal.value = null;
      const at = from.items.indexOf(card);
      from.items.splice(at, 1);
      from.total -= 1;
      target.items.unshift(card);
      target.total += 1;
      card._moving = true;
      try {
        const saved = await api.patch(`${base}/${card.id}`, { [field]: to, version: card.version });
        const i = target.items.indexOf(card);
        if (i >= 0) target.items.splice(i, 1, saved);
        ElMessage.success(t('kanban.moved', { to: target.label }));
      } catch (e) {
        // snap back to where it was, and say why
        const i = target.items.indexOf(card);
        if (i >= 0) target.items.splice(i, 1);
        target.total -= 1;
        from.items.splice(Math.min(at, from.items.length), 0, card);
        from.total += 1;
        refusal.value = { to: target.label, card: card.title || `#${card.id}`, error: e };
        if (e.status === 409) await Promise.all([loadColumn(from), loadColumn(target)]);
      } finally {
        card._moving = false;
      }
    }

    function dragStart(ev, card, from) {
      drag.value = { card, from };
      ev.dataTransfer.effectAllowed = 'move';
      ev.dataTransfer.setData('text/plain', String(card.id));
    }
    function dragEnd() { drag.value = null; over.value = null; }
    function dropOn(col) {
      const d = drag.value;
      drag.value = null;
      over.value = null;
      if (d && d.from !== col) move(d.card, col.value);
    }
    function colClass(col) {
      const d = drag.value;
      if (!d || d.from === col) return {};
      const ok = col.value !== null && allowedFrom(d.card[field]).includes(col.value);
      return { 'drop-ok': ok, 'drop-no': !ok, 'drop-over': over.value === col };
    }
    const reasons = computed(() => {
      const r = refusal.value;
      if (!r) return [];
      const details = (r.error.details || []).map((d) => label(d.message)).filter(Boolean);
      return details.length ? details : [label(r.error.message)];
    });
    const open = (card) => router.push(recordRoute(app, entity, card.id));
    const switchTo = (name) => router.replace(kanbanRoute(app, entity, name));

    return {
      app, entity, field, meta, failure, columns, loading, refusal, reasons, stateField, selects, cardFields, over,
      movesOf, move, dragStart, dragEnd, dropOn, colClass, open, switchTo, label, listRoute, newRecordRoute, Plus, List,
    };
  },
  template: `
    <div class="kanban-page" :data-entity="entity" :data-field="field" :data-loading="loading ? 'yes' : 'no'">
      <el-result v-if="failure" icon="warning" :title="label(failure.message)" />
      <template v-else-if="meta && stateField">
        <el-breadcrumb separator="/"><el-breadcrumb-item :to="listRoute(app, entity)">{{ label(meta.label, entity) }}</el-breadcrumb-item>
          <el-breadcrumb-item>{{ t('list.kanban') }}</el-breadcrumb-item></el-breadcrumb>
        <div class="kanban-head">
          <h2 class="page-title">{{ t('kanban.title', { what: label(meta.label, entity) }) }}</h2>
          <div class="page-actions">
            <el-select v-if="selects.length > 1" :model-value="field" class="kanban-field" data-test="kanban-field" @update:model-value="switchTo">
              <el-option v-for="f in selects" :key="f.name" :value="f.name" :label="t('kanban.by', { field: label(f.label, f.name) })" />
            </el-select>
            <router-link :to="listRoute(app, entity)" custom v-slot="{ navigate }"><el-button :icon="List" @click="navigate">{{ t('kanban.list') }}</el-button></router-link>
            <router-link v-if="meta.actions.create" :to="newRecordRoute(app, entity)" custom v-slot="{ navigate }">
              <el-button type="primary" :icon="Plus" @click="navigate">{{ t('list.new') }}</el-button></router-link>
          </div>
        </div>
        <el-alert v-if="refusal" type="error" show-icon class="kanban-refusal" data-test="kanban-refusal" @close="refusal = null"
                  :title="t('kanban.refused', { to: refusal.to }) + ' · ' + refusal.card">
          <div v-for="(r, i) in reasons" :key="i" class="refusal-reason">{{ r }}</div>
        </el-alert>
        <div class="kanban-board" v-loading="loading">
          <section v-for="col in columns" :key="String(col.value)" class="kanban-col" :class="colClass(col)" :data-value="col.value === null ? '' : col.value"
                   @dragover.prevent="over = col" @dragleave="over === col && (over = null)" @drop.prevent="dropOn(col)">
            <header class="kanban-col-head">
              <span class="option-dot" :style="{ background: col.color || '#c0c4cc' }"></span>
              <span class="kanban-col-label">{{ col.label }}</span><span class="count" data-test="count">{{ col.total }}</span>
            </header>
            <div class="kanban-cards">
              <kanban-card v-for="card in col.items" :key="card.id" :card="card" :fields="cardFields" :moves="meta.actions.update ? movesOf(card) : []" :movable="meta.actions.update"
                           :color="col.color" @open="open(card)" @move="(v) => move(card, v)"
                           @dragstart="(ev) => dragStart(ev, card, col)" @dragend="dragEnd" />
              <div v-if="!col.items.length" class="kanban-empty">{{ t('kanban.empty') }}</div>
              <div v-if="col.total > col.items.length" class="kanban-more">{{ t('kanban.more', { n: col.total - col.items.length }) }}</div>
            </div>
          </section>
        </div>
      </template>
    </div>`,
};
