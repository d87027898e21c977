// A list of any entity, built from its definition: columns in the form's order, sort by a click on
// a header, filters per field type, paging with totals, saved views, bulk export and delete, export
// of the current filter and import with a dry run first. Rows open the record form.
import { api } from '../api.js';
import { label, lang, t } from '../i18n.js';
import { entityMeta } from '../session.js';
import { filterKind, fromApiFilter, toApiFilter } from '../fields.js';
import { kanbanRoute, newRecordRoute, recordRoute } from '../links.js';
import { useMobile } from '../responsive.js';
import CellValue from '../components/cell-value.js';
import ColumnPicker from '../components/column-picker.js';
import FilterBar from '../components/filter-bar.js';
import ImportDialog from '../components/import-dialog.js';
import RecordCards from '../components/record-cards.js';
import ViewPicker from '../components/view-picker.js';

const { ref, reactive, computed, watch } = Vue;
const { useRoute, useRouter } = VueRouter;
const { ElMessage, ElMessageBox } = ElementPlus;
const { Plus, Download, Upload, Delete, Grid } = ElementPlusIconsVue;
const PAGE_SIZES = [10, 20, 50, 100];

export default {
  name: 'ListPage',
  components: { CellValue, ColumnPicker, FilterBar, ImportDialog, RecordCards, ViewPicker },
  setup() {
    const route = useRoute();
    const router = useRouter();
    const mobile = useMobile();
    const app = route.params.app;
    const entity = route.params.entity;
    const meta = ref(null);
    const failure = ref(null);
    const state = reactive({ q: route.query.q || '', active: [], values: {}, extra: {}, sort: [], page: 1, pageSize: 20, columns: [] });
    const items = ref([]);
    const total = ref(0);
    const loading = ref(false);
    const selected = ref([]);
    const viewId = ref(route.query.view ? Number(route.query.view) : null);
    const importOpen = ref(false);
    const tableKey = ref(0);

    const byName = computed(() => new Map((meta.value ? meta.value.fields : []).map((f) => [f.name, f])));
    const columns = computed(() => state.columns.map((n) => byName.value.get(n)).filter(Boolean));
    const actions = computed(() => (meta.value ? meta.value.actions : {}));
    const selectable = computed(() => actions.value.export || actions.value.delete);
    const kanbanField = computed(() => {
      const selects = (meta.value ? meta.value.fields : []).filter((f) => f.type === 'select');
      return (selects.find((f) => f.transitions) || selects[0] || {}).name;
    });
    const apiFilter = computed(() => {
      const out = { ...state.extra };
      for (const name of state.active) {
        const f = byName.value.get(name);
        const spec = f && toApiFilter(f, state.values[name]);
        if (spec) out[name] = spec;
      }
      return out;
    });
    const query = () => ({
      filter: Object.keys(apiFilter.value).length ? apiFilter.value : undefined,
      sort: state.sort.join(',') || undefined,
      q: state.q.trim() || undefined,
    });

    let asked = 0;
    async function load() {
      const mine = ++asked;
      loading.value = true;
      try {
        const r = await api.get(`/records/${app}/${entity}`, { ...query(), page: state.page, page_size: state.pageSize });
        if (mine !== asked) return;
        items.value = r.items;
        total.value = r.total;
        selected.value = [];
      } catch (e) {
        if (mine === asked) ElMessage.error(label(e.message));
      } finally {
        if (mine === asked) loading.value = false;
      }
    }
    const refilter = () => { state.page = 1; load(); };

    function resetTo(view) {
      const m = meta.value;
      state.active = [];
      state.values = {};
      state.extra = {};
      for (const [path, spec] of Object.entries((view && view.filters) || {})) {
        const f = byName.value.get(path);
        if (f && filterKind(f)) {
          state.active.push(path);
          state.values[path] = fromApiFilter(f, spec);
        } else {
          state.extra[path] = spec; // a condition the widgets cannot show (a path through a relation): kept as is
        }
      }
      state.sort = view ? [...view.sort] : [];
      state.columns = view && view.columns.length ? view.columns.filter((c) => byName.value.has(c)) : [...m.list_columns];
      tableKey.value += 1; // the table shows the view's sort on its headers
    }
    function applyView(view) {
      resetTo(view);
      router.replace({ query: { ...route.query, view: view ? String(view.id) : undefined } });
      refilter();
    }
    const capture = () => {
      const same = state.columns.join() === meta.value.list_columns.join();
      return { filters: apiFilter.value, sort: state.sort, columns: same ? [] : state.columns };
    };

    function sortChanged({ prop, order }) {
      state.sort = prop && order ? [(order === 'descending' ? '-' : '') + prop] : [];
      refilter();
    }
    const defaultSort = computed(() => {
      const s = state.sort[0];
      return s ? { prop: s.replace(/^-/, ''), order: s.startsWith('-') ? 'descending' : 'ascending' } : {};
    });

    const open = (row) => router.push(recordRoute(app, entity, row.id));

    async function exportRows(ids) {
      const filter = ids ? { id: { in: ids } } : query().filter;
      try {
        await api.download(`/records/${app}/${entity}/export`,
          { format: 'xlsx', filter, sort: query().sort, q: ids ? undefined : query().q, lang: lang.value },
          `${entity}.xlsx`);
      } catch (e) { ElMessage.error(label(e.message)); }
    }

    async function deleteSelected() {
      const ids = [...selected.value];
      try {
        await ElMessageBox.confirm(t('list.delete_confirm', { n: ids.length }), t('list.delete'), {
          type: 'warning', confirmButtonText: t('list.delete'), cancelButtonText: t('common.cancel') });
      } catch (e) { return; }
      let failed = null;
      let done = 0;
      for (const id of ids) {
        try { await api.del(`/records/${app}/${entity}/${id}`); done += 1; } catch (e) { failed = failed || e; }
      }
      if (done) ElMessage.success(t('list.deleted', { n: done }));
      if (failed) ElMessage.error(label(failed.message));
      load();
    }

    entityMeta(app, entity).then((m) => {
      meta.value = m;
      state.columns = [...m.list_columns];
      if (!m.actions.read) return;
      if (!viewId.value) load(); // a view in the address is applied (and loaded) by the view picker
    }).catch((e) => { failure.value = e; });

    watch(() => state.pageSize, refilter);
    // the search box's "all N" link lands here with ?q=, also when this list is already open
    watch(() => route.query.q, (q) => {
      if (typeof q === 'string' && q !== state.q) { state.q = q; refilter(); }
    });

    return {
      app, entity, meta, failure, state, items, total, loading, selected, viewId, importOpen, tableKey, columns, actions,
      selectable, kanbanField, mobile, defaultSort, PAGE_SIZES, label,
      load, refilter, applyView, capture, sortChanged, open, exportRows, deleteSelected,
      newRecordRoute, kanbanRoute, Plus, Download, Upload, Delete, Grid,
    };
  },
  template: `
    <div class="list-page" :data-entity="entity" :data-loading="loading ? 'yes' : 'no'">
      <el-result v-if="failure" icon="warning" :title="label(failure.message)" />
      <template v-else-if="meta">
        <el-empty v-if="!meta.actions.read" :description="t('list.no_access')" />
        <template v-else>
          <div class="page-head">
            <h2 class="page-title">{{ label(meta.label, entity) }} <span class="muted total" data-test="total">{{ t('list.total', { n: total }) }}</span></h2>
            <div class="page-actions">
              <router-link v-if="actions.create" :to="newRecordRoute(app, entity)" custom v-slot="{ navigate }">
                <el-button type="primary" :icon="Plus" data-test="new" @click="navigate">{{ t('list.new') }}</el-button>
              </router-link>
              <router-link v-if="kanbanField" :to="kanbanRoute(app, entity, kanbanField)" custom v-slot="{ navigate }">
                <el-button :icon="Grid" data-test="kanban" @click="navigate">{{ t('list.kanban') }}</el-button>
              </router-link>
              <el-button v-if="actions.import" :icon="Upload" data-test="import" @click="importOpen = true">{{ t('list.import') }}</el-button>
              <el-button v-if="actions.export" :icon="Download" data-test="export" @click="exportRows(null)">{{ t('list.export') }}</el-button>
            </div>
          </div>
          <div class="list-tools">
            <filter-bar :meta="meta" :state="state" :mobile="mobile" @change="refilter" />
            <div class="list-tools-right">
              <view-picker :app="app" :entity="entity" v-model="viewId" :capture="capture" @apply="applyView" />
              <column-picker v-if="!mobile" :meta="meta" v-model="state.columns" />
            </div>
          </div>
          <div v-if="selected.length" class="bulk-bar" data-test="bulk-bar">
            <span>{{ t('list.selected', { n: selected.length }) }}</span>
            <el-button v-if="actions.export" size="small" :icon="Download" data-test="export-selected" @click="exportRows(selected)">{{ t('list.export_selected') }}</el-button>
            <el-button v-if="actions.delete" size="small" type="danger" plain :icon="Delete" data-test="delete-selected" @click="deleteSelected">{{ t('list.delete') }}</el-button>
            <el-button size="small" link @click="selected = []; tableKey++">{{ t('list.clear_selection') }}</el-button>
          </div>
          <div v-loading="loading" class="list-body">
            <record-cards v-if="mobile" :items="items" :fields="columns" :selectable="selectable"
                          v-model:selected="selected" @open="open" />
            <el-table v-else :key="tableKey" :data="items" row-key="id" :default-sort="defaultSort" stripe
                      class="record-table" @sort-change="sortChanged" @row-click="open"
                      @selection-change="(rows) => selected = rows.map((r) => r.id)">
              <el-table-column v-if="selectable" type="selection" width="44" />
              <el-table-column v-for="(f, i) in columns" :key="f.name" :prop="f.name" :label="label(f.label, f.name)"
                               :sortable="f.sortable ? 'custom' : false" :min-width="i === 0 ? 160 : 120" show-overflow-tooltip>
                <template #default="{ row }">
                  <span v-if="i === 0" class="row-link">{{ row[f.name] === null || row[f.name] === undefined || row[f.name] === '' ? row.title : '' }}<cell-value :field="f" :value="row[f.name]" /></span>
                  <cell-value v-else :field="f" :value="row[f.name]" />
                </template>
              </el-table-column>
            </el-table>
            <el-empty v-if="!loading && !items.length" :description="t('list.empty')" :image-size="80" />
          </div>
          <el-pagination v-if="total" class="pager" background :total="total" v-model:current-page="state.page"
                         v-model:page-size="state.pageSize" :page-sizes="PAGE_SIZES" :pager-count="mobile ? 5 : 7"
                         :size="mobile ? 'small' : 'default'" :layout="mobile ? 'total, prev, pager, next' : 'total, sizes, prev, pager, next, jumper'"
                         @current-change="load" />
          <import-dialog v-if="actions.import" v-model="importOpen" :app="app" :entity="entity" :title="label(meta.label)"
                         :fields="meta.fields" :mobile="mobile" @imported="refilter" />
        </template>
      </template>
    </div>`,
};
