// Import from xlsx or csv in two steps: a dry run whose every problem is listed (row, column,
// message) — and only when there is none, the import itself. With "update existing records matched
// by" a unique field, rows naming a record the user may read update it; the dry run counts both.
import { api } from '../api.js';
import { label } from '../i18n.js';

const { ref, computed } = Vue;
const { Upload, Document: DocumentIcon } = ElementPlusIconsVue;

export default {
  name: 'ImportDialog',
  props: {
    modelValue: { type: Boolean, default: false },
    app: { type: String, required: true },
    entity: { type: String, required: true },
    title: { type: String, default: '' },
    mobile: { type: Boolean, default: false },
    fields: { type: Array, default: () => [] }, // the entity's fields as the user sees them (ui meta)
  },
  emits: ['update:modelValue', 'imported'],
  setup(props, { emit }) {
    const file = ref(null);
    const report = ref(null);
    const error = ref(null);
    const busy = ref(false);
    const done = ref(null);
    const input = ref(null);
    const match = ref(''); // '' : every row creates (the default)
    const matchable = computed(() => props.fields.filter((f) => f.unique && !f.computed));
    const path = computed(() => `/records/${props.app}/${props.entity}/import`);
    function reset() { match.value = ''; file.value = null; report.value = null; error.value = null; done.value = null; if (input.value) input.value.value = ''; }
    function close() { emit('update:modelValue', false); reset(); }
    async function send(dryRun) {
      const form = new FormData();
      form.append('file', file.value);
      form.append('dry_run', dryRun ? 'true' : 'false');
      if (match.value) form.append('match', match.value);
      busy.value = true;
      error.value = null;
      try {
        return await api.upload(path.value, form);
      } catch (e) {
        if (e.body && e.body.report) report.value = e.body.report; // refused at import time: the same report
        error.value = e;
        return null;
      } finally {
        busy.value = false;
      }
    }
    async function picked(ev) {
      const f = ev.target.files && ev.target.files[0];
      report.value = null; done.value = null; error.value = null;
      file.value = f || null;
      if (f) report.value = await send(true);
    }
    async function rematch() { // another match field: the dry run again, for the new counts
      done.value = null; error.value = null;
      if (file.value) report.value = await send(true);
    }
    async function runImport() {
      const r = await send(false);
      if (r) { done.value = r; report.value = null; emit('imported', r); }
    }
    const problems = computed(() => (report.value ? report.value.problems : []));
    return { file, report, error, busy, done, input, problems, picked, runImport, close, label, Upload, DocumentIcon,
      match, matchable, rematch };
  },
  template: `
    <el-dialog :model-value="modelValue" :title="t('import.title', { what: title })" :fullscreen="mobile" width="760px"
               @update:model-value="(v) => !v && close()" class="import-dialog">
      <p class="muted">{{ t('import.hint') }}</p>
      <div class="file-pick">
        <input ref="input" type="file" accept=".xlsx,.csv" data-test="import-file" hidden @change="picked" />
        <el-button :icon="DocumentIcon" @click="input.click()">{{ t('import.choose') }}</el-button>
        <span class="file-name">{{ file ? file.name : t('import.none') }}</span>
      </div>
      <div v-if="matchable.length" class="import-match">
        <span>{{ t('import.match') }}</span>
        <el-select v-model="match" size="small" style="width: 200px" data-test="import-match" @change="rematch">
          <el-option value="" :label="t('import.match_none')" />
          <el-option v-for="f in matchable" :key="f.name" :value="f.name" :label="label(f.label) || f.name" />
        </el-select>
      </div>
      <div v-loading="busy" class="import-body">
        <el-alert v-if="error && !report" type="error" :closable="false" :title="label(error.message)" show-icon />
        <template v-if="report">
          <el-alert v-if="report.ok" type="success" :closable="false" show-icon data-test="import-clean"
                    :title="t('import.clean', { n: report.counts.rows })" />
          <p v-if="report.counts.update !== undefined" class="muted" data-test="import-counts">
            {{ t('import.counts', { created: report.counts.create, updated: report.counts.update }) }}</p>
          <template v-if="!report.ok">
            <el-alert type="error" :closable="false" show-icon data-test="import-problems"
                      :title="t('import.problems', { rows: report.counts.problem_rows, n: report.counts.problems })" />
            <el-table :data="problems" size="small" max-height="320" class="problems" data-test="problem-table">
              <el-table-column prop="row" :label="t('import.row')" width="70" />
              <el-table-column :label="t('import.column')" min-width="110">
                <template #default="{ row }">{{ row.column || '' }}<span v-if="row.cell" class="muted"> ({{ row.cell }})</span></template>
              </el-table-column>
              <el-table-column :label="t('import.message')" min-width="220">
                <template #default="{ row }">{{ label(row.message) }}</template>
              </el-table-column>
            </el-table>
          </template>
        </template>
        <el-alert v-if="done" type="success" :closable="false" show-icon data-test="import-done"
                  :title="t('import.done', { n: done.counts.imported })" />
        <p v-if="done && done.counts.update" class="muted" data-test="import-done-counts">
          {{ t('import.counts', { created: done.counts.create, updated: done.counts.update }) }}</p>
      </div>
      <template #footer>
        <el-button @click="close">{{ done ? t('common.close') : t('common.cancel') }}</el-button>
        <el-button v-if="!done" type="primary" :icon="Upload" :disabled="!report || !report.ok || busy"
                   :loading="busy" data-test="import-run" @click="runImport">
          {{ t('import.run', { n: report ? report.counts.rows : 0 }) }}
        </el-button>
      </template>
    </el-dialog>`,
};
