// The records that point at this one (a customer's contacts, opportunities, quotes): every relation
// field of the app's entities whose target is this entity, each listed through the list endpoint
// with that filter — so the user's permissions decide what shows — with links to the records and
// to a new one already linked here.
import { api } from '../api.js';
import { label, t } from '../i18n.js';
import { can, entityMeta } from '../session.js';
import { newRecordRoute, recordRoute } from '../links.js';
import CellValue from '../components/cell-value.js';

const { ref, watch } = Vue;
const { Plus } = ElementPlusIconsVue;
const apps = new Map();
const SHOWN = 5;

function appDefinition(app) {
  if (!apps.has(app)) apps.set(app, api.get(`/apps/${app}`).catch((e) => { apps.delete(app); throw e; }));
  return apps.get(app);
}

export default {
  name: 'RelatedTab',
  components: { CellValue },
  props: {
    app: { type: String, required: true },
    entity: { type: String, required: true },
    recordId: { type: [Number, String], required: true },
    reloadKey: { type: Number, default: 0 },
  },
  setup(props) {
    const groups = ref([]);
    const loading = ref(false);
    async function load() {
      loading.value = true;
      try {
        const def = await appDefinition(props.app);
        const found = [];
        for (const e of def.entities) {
          if (!can(props.app, e.name, 'read')) continue;
          const links = e.fields.filter((f) => f.type === 'relation' && f.to === props.entity);
          if (!links.length) continue;
          const meta = await entityMeta(props.app, e.name);
          for (const f of links) {
            if (!meta.fields.some((x) => x.name === f.name)) continue; // hidden from this user
            const filter = { [f.name]: { eq: Number(props.recordId) } };
            const r = await api.get(`/records/${props.app}/${e.name}`, { filter, page_size: SHOWN, sort: '-updated_at' });
            const columns = meta.list_columns.filter((c) => c !== f.name).slice(0, 3)
              .map((c) => meta.fields.find((x) => x.name === c)).filter(Boolean);
            found.push({ key: `${e.name}.${f.name}`, entity: e.name, field: f.name, meta, filter, columns,
              title: links.length > 1 ? `${label(meta.label)} · ${label(f.label, f.name)}` : label(meta.label, e.name),
              items: r.items, total: r.total, create: meta.actions.create });
          }
        }
        groups.value = found;
      } finally {
        loading.value = false;
      }
    }
    watch(() => props.reloadKey, load, { immediate: true });
    const newLinked = (g) => ({ ...newRecordRoute(props.app, g.entity), query: { [g.field]: String(props.recordId) } });
    return { groups, loading, label, recordRoute, newLinked, SHOWN, Plus };
  },
  template: `
    <div class="related-tab" v-loading="loading" data-test="related">
      <el-empty v-if="!loading && !groups.length" :description="t('related.none')" :image-size="60" />
      <section v-for="g in groups" :key="g.key" class="related-group" :data-related="g.key">
        <div class="related-head">
          <h4>{{ g.title }} <span class="muted">{{ g.total }}</span></h4>
          <router-link v-if="g.create" :to="newLinked(g)" custom v-slot="{ navigate }">
            <el-button size="small" :icon="Plus" @click="navigate">{{ t('related.new') }}</el-button>
          </router-link>
        </div>
        <div v-if="!g.items.length" class="muted related-none">{{ t('related.none') }}</div>
        <router-link v-for="r in g.items" :key="r.id" :to="recordRoute(app, g.entity, r.id)" class="related-item" :data-id="r.id">
          <span class="related-title">{{ r.title || ('#' + r.id) }}</span>
          <span v-for="c in g.columns" :key="c.name" class="related-cell"><cell-value :field="c" :value="r[c.name]" /></span>
        </router-link>
        <div v-if="g.total > SHOWN" class="related-more muted">{{ t('related.more', { n: g.total }) }}</div>
      </section>
    </div>`,
};
