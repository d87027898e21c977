// One field's value, read-only: options as coloured tags, relations as their title, the rest as text.
import { colorOf, formatValue, isBlank, option } from '../fields.js';

export default {
  name: 'CellValue',
  props: { field: { type: Object, required: true }, value: { default: null } },
  setup(props) {
    const tags = () => {
      const vt = props.field.value_type || props.field.type;
      if (isBlank(props.value) || !['select', 'multiselect', 'cascade'].includes(vt)) return null;
      const values = Array.isArray(props.value) ? props.value : [props.value];
      if (!values.some((v) => colorOf((option(props.field, v) || {}).color))) return null; // plain text without colours
      return values.map((v) => {
        const o = option(props.field, v);
        const c = colorOf(o && o.color);
        return { value: v, text: formatValue({ ...props.field, value_type: 'select' }, v), style: c ? { color: c, borderColor: c, background: `${c}14` } : {} };
      });
    };
    return { tags, formatValue };
  },
  template: `
    <span class="cell-value">
      <template v-if="tags()"><span v-for="tg in tags()" :key="tg.value" class="opt-tag" :style="tg.style">{{ tg.text }}</span></template>
      <template v-else>{{ formatValue(field, value) }}</template>
    </span>`,
};
