// One field on the form: its label (a star when the form state says it is required), its input or
// value, its help and every message the form state or a save gave for it. A field the form state
// hides (visible_if) is not shown.
import FieldControl from './field-control.js';
import SubtableGrid from './subtable-grid.js';
import { FORM } from './form-model.js';
import { label } from '../i18n.js';
import { isComputed, isWide } from './values.js';

const { inject, computed } = Vue;

export default {
  name: 'FormField',
  components: { FieldControl, SubtableGrid },
  props: { name: { type: String, required: true } },
  setup(props) {
    const form = inject(FORM);
    const s = form.state;
    const field = computed(() => form.byName.get(props.name));
    const flags = computed(() => form.flag(props.name));
    const visible = computed(() => field.value && flags.value.visible !== false);
    const required = computed(() => (flags.value.required ?? field.value.required) && !readonly.value);
    const readonly = computed(() => s.readonly || isComputed(field.value) || form.isLocked(props.name)
      || flags.value.readonly === true);
    const errors = computed(() => form.errorsAt(props.name));
    const wide = computed(() => field.value && isWide(field.value));
    const parentValue = computed(() => (field.value && field.value.type === 'cascade' ? s.model[field.value.parent] : undefined));
    const savedFiles = computed(() => {
      const v = s.original[props.name];
      return Array.isArray(v) && ['attachment', 'image'].includes(field.value.type) ? v.map((f) => f.id) : [];
    });
    return { form, s, field, flags, visible, required, readonly, errors, wide, parentValue, savedFiles, label };
  },
  template: `
    <div v-if="visible" class="form-field" :class="{ wide, 'has-error': errors.length, readonly }" :data-field="name"
         :data-type="field.type">
      <div class="form-label">
        <span>{{ label(field.label, name) }}</span><span v-if="required" class="req" aria-hidden="true">*</span>
        <el-tooltip v-if="field.help" :content="label(field.help)" placement="top"><span class="help-mark">?</span></el-tooltip>
      </div>
      <div class="form-control">
        <subtable-grid v-if="field.type === 'subtable'" :field="field" :readonly="readonly" />
        <field-control v-else :field="field" :model-value="s.model[name]" :readonly="readonly" :flags="flags"
                       :app="s.app" :entity="s.entity" :record-id="s.id" :parent-value="parentValue" :saved-files="savedFiles"
                       @update:model-value="(v) => form.set(name, v)" />
      </div>
      <div v-for="(e, i) in errors" :key="i" class="field-error" data-test="field-error">{{ label(e.message) }}</div>
    </div>`,
};
