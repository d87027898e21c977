// A sub-table as an editable grid: a row per line, a cell per column with the column's own input,
// rows added, removed and moved; each message at its cell (lines[2].qty). On a narrow screen the grid
// scrolls inside its box, never the page.
import FieldControl from './field-control.js';
import { FORM } from './form-model.js';
import { entityMeta } from '../session.js';
import { label } from '../i18n.js';
import { isComputed } from './values.js';
import { useMobile } from '../responsive.js';

const { inject, computed, ref } = Vue;
const { Plus, Delete, ArrowUp, ArrowDown } = ElementPlusIconsVue;

export default {
  name: 'SubtableGrid',
  components: { FieldControl },
  props: {
    field: { type: Object, required: true },
    readonly: { type: Boolean, default: false },
  },
  setup(props) {
    const form = inject(FORM);
    const s = form.state;
    const name = props.field.name;
    const rows = computed(() => s.model[name] || []);
    // what a computed column holds: a formula's result, a lookup's source field (read from its entity)
    const sourceTypes = ref({});
    const columns = computed(() => (props.field.fields || []).map((c) => {
      let valueType = c.type;
      if (c.type === 'formula') valueType = c.result || 'number';
      if (c.type === 'lookup') valueType = sourceTypes.value[c.name] || 'text';
      if (c.type === 'rollup') valueType = 'number';
      return { ...c, relation_to: c.to, value_type: valueType };
    }));
    for (const c of props.field.fields || []) {
      if (c.type !== 'lookup') continue;
      const via = (props.field.fields || []).find((x) => x.name === c.via);
      if (!via || !via.to) continue;
      entityMeta(s.app, via.to).then((m) => {
        const src = m.fields.find((x) => x.name === c.field);
        if (src) sourceTypes.value = { ...sourceTypes.value, [c.name]: src.value_type || src.type };
      }).catch(() => {});
    }
    const colVisible = (c) => rows.value.length === 0 || rows.value.some((_, i) => form.cellFlag(name, i, c.name).visible !== false);
    const shownColumns = computed(() => columns.value.filter(colVisible));
    const cellReadonly = (i, c) => props.readonly || isComputed(c) || form.cellFlag(name, i, c.name).readonly === true;
    const required = (c) => c.required || rows.value.some((_, i) => form.cellFlag(name, i, c.name).required);
    const parentOf = (row, c) => (c.type === 'cascade' ? row[c.parent] : undefined);
    return {
      mobile: useMobile(), form, s, name, rows, shownColumns, cellReadonly, required, parentOf, label, Plus, Delete, ArrowUp, ArrowDown,
    };
  },
  template: `
    <div class="subtable" :data-subtable="name">
      <div v-if="mobile" class="subtable-cards">
        <div v-for="(row, i) in rows" :key="row._key" class="subtable-card" :data-row="i">
          <div class="subtable-card-head">
            <span class="muted">#{{ i + 1 }}</span>
            <span v-if="!readonly" class="subtable-card-actions">
              <el-button link :icon="ArrowUp" :disabled="i === 0" :aria-label="t('form.move_up')" data-test="row-up" @click="form.moveRow(name, i, -1)" />
              <el-button link :icon="ArrowDown" :disabled="i === rows.length - 1" :aria-label="t('form.move_down')" data-test="row-down" @click="form.moveRow(name, i, 1)" />
              <el-button link type="danger" :icon="Delete" :aria-label="t('form.remove_row')" data-test="row-remove" @click="form.removeRow(name, i)" />
            </span>
          </div>
          <template v-for="c in shownColumns" :key="c.name">
            <div v-if="form.cellFlag(name, i, c.name).visible !== false" class="subtable-cell" :data-col="c.name"
                 :class="{ 'has-error': form.cellErrors(name, i, c.name).length }">
              <div class="form-label">{{ label(c.label, c.name) }}<span v-if="required(c) && !readonly" class="req">*</span></div>
              <field-control :field="c" :model-value="row[c.name]" :readonly="cellReadonly(i, c)"
                             :flags="form.cellFlag(name, i, c.name)" :app="s.app" :entity="s.entity" :record-id="s.id"
                             :parent-value="parentOf(row, c)" @update:model-value="(v) => form.setCell(name, i, c.name, v)" />
              <div v-for="(e, k) in form.cellErrors(name, i, c.name)" :key="k" class="field-error" data-test="field-error">{{ label(e.message) }}</div>
            </div>
          </template>
          <div v-for="(e, k) in form.rowErrors(name, i)" :key="'r' + k" class="field-error">{{ label(e.message) }}</div>
        </div>
        <div v-if="!rows.length" class="subtable-empty muted">{{ t('form.no_rows') }}</div>
      </div>
      <div v-else class="subtable-scroll">
        <table class="subtable-table">
          <thead>
            <tr>
              <th class="col-index">#</th>
              <th v-for="c in shownColumns" :key="c.name" :class="['col-' + c.value_type, { req: required(c) && !readonly }]">{{ label(c.label, c.name) }}</th>
              <th v-if="!readonly" class="col-actions"></th>
            </tr>
          </thead>
          <tbody>
            <template v-for="(row, i) in rows" :key="row._key">
              <tr :data-row="i">
                <td class="col-index">{{ i + 1 }}</td>
                <td v-for="c in shownColumns" :key="c.name" :data-col="c.name" :class="['col-' + c.value_type, { 'has-error': form.cellErrors(name, i, c.name).length }]">
                  <template v-if="form.cellFlag(name, i, c.name).visible !== false">
                    <field-control :field="c" :model-value="row[c.name]" compact :readonly="cellReadonly(i, c)"
                                   :flags="form.cellFlag(name, i, c.name)" :app="s.app" :entity="s.entity" :record-id="s.id"
                                   :parent-value="parentOf(row, c)"
                                   @update:model-value="(v) => form.setCell(name, i, c.name, v)" />
                    <div v-for="(e, k) in form.cellErrors(name, i, c.name)" :key="k" class="field-error" data-test="field-error">{{ label(e.message) }}</div>
                  </template>
                </td>
                <td v-if="!readonly" class="col-actions">
                  <el-button link :icon="ArrowUp" :disabled="i === 0" :title="t('form.move_up')" :aria-label="t('form.move_up')"
                             data-test="row-up" @click="form.moveRow(name, i, -1)" />
                  <el-button link :icon="ArrowDown" :disabled="i === rows.length - 1" :title="t('form.move_down')"
                             :aria-label="t('form.move_down')" data-test="row-down" @click="form.moveRow(name, i, 1)" />
                  <el-button link type="danger" :icon="Delete" :title="t('form.remove_row')" :aria-label="t('form.remove_row')"
                             data-test="row-remove" @click="form.removeRow(name, i)" />
                </td>
              </tr>
              <tr v-if="form.rowErrors(name, i).length" class="row-errors">
                <td></td>
                <td :colspan="shownColumns.length + (readonly ? 0 : 1)">
                  <div v-for="(e, k) in form.rowErrors(name, i)" :key="k" class="field-error">{{ label(e.message) }}</div>
                </td>
              </tr>
            </template>
          </tbody>
        </table>
        <div v-if="!rows.length" class="subtable-empty muted">{{ t('form.no_rows') }}</div>
      </div>
      <div class="subtable-foot">
        <el-button v-if="!readonly" size="small" :icon="Plus" data-test="add-row" @click="form.addRow(name)">{{ t('form.add_row') }}</el-button>
        <span v-if="rows.length" class="muted">{{ t('form.rows_total', { n: rows.length }) }}</span>
      </div>
    </div>`,
};
