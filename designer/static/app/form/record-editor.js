// A record's form with everything around it: the header (title, print), the layout's fields kept
// live through the form state, saving (create, or a PATCH with the version read: a 409 offers a
// reload, a 422 puts every message at its field), and for a saved record its comments, history and
// related records.
import { api } from '../api.js';
import { label, t } from '../i18n.js';
import { listRoute, recordRoute } from '../links.js';
import { createForm, FORM } from './form-model.js';
import { useFormState } from './form-state.js';
import FormLayout from './form-layout.js';
import PrintMenu from './print-menu.js';
import HistoryTab from './history-tab.js';
import RelatedTab from './related-tab.js';
import CommentsTimeline from './comments-timeline.js';

const { ref, computed, provide, nextTick } = Vue;
const { useRouter, onBeforeRouteLeave } = VueRouter;
const { ElMessage, ElMessageBox } = ElementPlus;
const { Check, RefreshRight } = ElementPlusIconsVue;

export default {
  name: 'RecordEditor',
  components: { FormLayout, PrintMenu, HistoryTab, RelatedTab, CommentsTimeline },
  props: {
    app: { type: String, required: true },
    entity: { type: String, required: true },
    meta: { type: Object, required: true },
    record: { type: Object, default: null },
    initial: { type: Object, default: () => ({}) }, // values a new record starts with (form/prefill.js)
  },
  setup(props) {
    const router = useRouter();
    const { app, entity, meta } = props;
    const creating = !props.record;
    const mayWrite = creating ? meta.actions.create : meta.actions.update;
    const base = `/records/${app}/${entity}`;
    const record = ref(props.record);
    const saving = ref(false);
    const conflict = ref(null);
    const notice = ref(mayWrite ? null : 'form.readonly');
    const extras = ref('comments');
    const reloadKey = ref(0);

    const form = createForm({ app, entity, meta, creating, readonly: !mayWrite, onEdit: () => live.changed() });
    form.load(props.record);
    if (creating) Object.assign(form.state.model, props.initial);
    provide(FORM, form);

    const live = useFormState({
      app, entity, recordId: () => form.state.id, values: form.values, onAnswer: form.answer,
      onFailure: (e) => {
        if (e.status === 403) { // they may read this record but not change it
          form.state.readonly = true;
          notice.value = 'form.readonly';
          live.stop();
        } else if (e.status !== 0) {
          ElMessage.error(label(e.message));
        }
      },
    });
    form.follow(live.busy);
    if (mayWrite) live.now();

    // leaving with changes not saved asks first (a save that opens the new record does not)
    let leaving = false;
    onBeforeRouteLeave(async () => {
      if (leaving || form.state.readonly || !form.state.edited) return true;
      try {
        await ElMessageBox.confirm(t('form.leave_confirm'), t('form.unsaved'), {
          type: 'warning', confirmButtonText: t('form.leave'), cancelButtonText: t('form.stay') });
        return true;
      } catch (e) {
        return false;
      }
    });

    const title = computed(() => (record.value ? (record.value.title || `#${record.value.id}`) : t('form.new_title', { what: label(meta.label, entity) })));
    const stray = computed(() => (form.state.showAll ? form.strayErrors(new Set(meta.fields.filter((f) => form.flag(f.name).visible !== false).map((f) => f.name))) : []));
    const errorCount = computed(() => (form.state.showAll ? form.state.errors.length : 0));

    function showErrors(details) {
      form.state.errors = details;
      form.state.showAll = true;
      nextTick(() => {
        const first = document.querySelector('.record-editor .has-error');
        if (first && first.offsetParent !== null) first.scrollIntoView({ block: 'center', behavior: 'smooth' });
      });
    }

    function loaded(rec) {
      record.value = rec;
      form.load(rec);
      reloadKey.value += 1;
      live.now();
    }

    async function save() {
      if (saving.value || form.state.readonly) return;
      live.stop();
      saving.value = true;
      conflict.value = null;
      try {
        if (!form.state.id) {
          const rec = await api.post(base, form.values());
          ElMessage.success(t('form.saved'));
          leaving = true;
          router.replace(recordRoute(app, entity, rec.id));
          return;
        }
        const changes = form.patch();
        const rec = Object.keys(changes).length
          ? await api.patch(`${base}/${form.state.id}`, { ...changes, version: form.state.version })
          : record.value;
        ElMessage.success(t('form.saved'));
        loaded(rec);
      } catch (e) {
        if (e.status === 409) conflict.value = e;
        else if ((e.status === 422 || e.status === 403) && e.details && e.details.length) showErrors(e.details);
        else ElMessage.error(label(e.message));
      } finally {
        saving.value = false;
      }
    }

    async function reload() {
      try {
        const rec = await api.get(`${base}/${form.state.id}`);
        conflict.value = null;
        loaded(rec);
        ElMessage.info(t('form.reloaded'));
      } catch (e) {
        ElMessage.error(label(e.message));
      }
    }

    function discard() {
      if (!form.state.id) { leaving = true; router.push(listRoute(app, entity)); return; }
      form.load(record.value);
      live.now();
    }

    return {
      form, s: form.state, record, title, saving, conflict, notice, extras, reloadKey, stray, errorCount, live,
      save, reload, discard, label, listRoute, Check, RefreshRight,
    };
  },
  template: `
    <div class="record-editor" :data-record="s.id || 'new'" :data-version="s.version" :data-busy="live.busy.value ? 'yes' : 'no'">
      <el-breadcrumb separator="/" class="record-crumbs">
        <el-breadcrumb-item :to="listRoute(app, entity)">{{ label(meta.label, entity) }}</el-breadcrumb-item>
        <el-breadcrumb-item>{{ s.id ? title : t('list.new') }}</el-breadcrumb-item>
      </el-breadcrumb>
      <div class="page-head record-head">
        <h2 class="page-title" data-test="record-title">{{ title }}</h2>
        <div class="page-actions">
          <print-menu v-if="s.id" :app="app" :entity="entity" :record-id="s.id" />
        </div>
      </div>
      <el-alert v-if="notice" type="info" :closable="false" :title="t(notice)" class="form-notice" />
      <el-alert v-if="conflict" type="warning" :closable="false" show-icon class="form-conflict" data-test="conflict">
        <template #title>{{ t('form.conflict') }}</template>
        <div class="conflict-body"><span>{{ label(conflict.message) }}</span>
          <el-button size="small" type="warning" :icon="RefreshRight" data-test="reload" @click="reload">{{ t('form.reload') }}</el-button></div>
      </el-alert>
      <el-alert v-if="stray.length" type="error" :closable="false" class="form-stray" data-test="form-errors">
        <div v-for="(e, i) in stray" :key="i">{{ label(e.message) }}</div>
      </el-alert>
      <div class="form-card"><form-layout />
      <div v-if="!s.readonly" class="form-actions" data-test="form-actions">
        <span v-if="errorCount" class="form-invalid">{{ t('form.invalid', { n: errorCount }) }}</span>
        <span v-else-if="s.edited" class="muted">{{ t('form.unsaved') }}</span>
        <el-button v-if="s.edited || !s.id" data-test="discard" @click="discard">{{ s.id ? t('form.reset') : t('form.cancel') }}</el-button>
        <el-button type="primary" :icon="Check" :loading="saving" data-test="save" @click="save">{{ t('form.save') }}</el-button>
      </div></div>
      <el-tabs v-if="s.id" v-model="extras" class="record-extras">
        <el-tab-pane name="comments" :label="t('form.tab.comments')" lazy>
          <comments-timeline :app="app" :entity="entity" :record-id="s.id" />
        </el-tab-pane>
        <el-tab-pane name="history" :label="t('form.tab.history')" lazy>
          <history-tab :app="app" :entity="entity" :record-id="s.id" :meta="meta" :reload-key="reloadKey" />
        </el-tab-pane>
        <el-tab-pane name="related" :label="t('form.tab.related')" lazy>
          <related-tab :app="app" :entity="entity" :record-id="s.id" :reload-key="reloadKey" />
        </el-tab-pane>
      </el-tabs>
    </div>`,
};
