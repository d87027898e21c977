// Selects, multi-selects and cascades: the definition's options (with their colours), narrowed to the
// ones the form state allows now — a state field offers only its allowed moves, a cascade only the
// options of its parent's value, an option's own visible_if hides it.
import { colorOf } from '../fields.js';
import { label } from '../i18n.js';

const { computed } = Vue;

export default {
  name: 'ChoiceInput',
  props: {
    field: { type: Object, required: true },
    modelValue: { default: null },
    flags: { type: Object, default: () => ({}) },
    parentValue: { default: undefined }, // a cascade's parent field's value
    disabled: { type: Boolean, default: false },
    compact: { type: Boolean, default: false },
  },
  emits: ['update:modelValue'],
  setup(props, { emit }) {
    const multiple = props.field.type === 'multiselect';
    const options = computed(() => {
      let all = props.field.options || [];
      const allowed = props.flags && props.flags.options;
      if (Array.isArray(allowed)) all = all.filter((o) => allowed.includes(o.value));
      else if (props.field.type === 'cascade') all = all.filter((o) => o.parent === props.parentValue);
      // the current value stays choosable even when it is no longer offered (it is what is stored)
      const current = multiple ? (props.modelValue || []) : (props.modelValue === null ? [] : [props.modelValue]);
      for (const v of current) {
        if (!all.some((o) => o.value === v)) {
          const o = (props.field.options || []).find((x) => x.value === v);
          if (o) all = [o, ...all];
        }
      }
      return all;
    });
    const value = computed({
      get: () => (multiple ? (props.modelValue || []) : props.modelValue),
      set: (v) => emit('update:modelValue', multiple ? (v || []) : (v === '' || v === undefined ? null : v)),
    });
    const dot = (o) => ({ background: colorOf(o.color) || 'transparent' });
    return { options, value, multiple, dot, label, colorOf };
  },
  template: `
    <el-select v-model="value" :multiple="multiple" clearable :disabled="disabled" filterable
               :placeholder="t('form.choose')" class="choice-input" :class="{ compact }" collapse-tags collapse-tags-tooltip>
      <el-option v-for="o in options" :key="o.value" :value="o.value" :label="label(o.label, o.value)" :data-value="o.value">
        <span class="option-line"><span v-if="colorOf(o.color)" class="option-dot" :style="dot(o)"></span>{{ label(o.label, o.value) }}</span>
      </el-option>
    </el-select>`,
};
