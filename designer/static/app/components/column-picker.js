// Which fields the list shows, in the form's order.
import { label } from '../i18n.js';

const { computed } = Vue;
const { Operation } = ElementPlusIconsVue;
const NOT_A_COLUMN = ['subtable', 'richtext'];

export default {
  name: 'ColumnPicker',
  props: { meta: { type: Object, required: true }, modelValue: { type: Array, required: true } },
  emits: ['update:modelValue'],
  setup(props, { emit }) {
    const byName = computed(() => new Map(props.meta.fields.map((f) => [f.name, f])));
    const choices = computed(() => props.meta.field_order.map((n) => byName.value.get(n))
      .filter((f) => f && !NOT_A_COLUMN.includes(f.value_type)));
    function set(names) {
      const order = props.meta.field_order;
      emit('update:modelValue', [...names].sort((a, b) => order.indexOf(a) - order.indexOf(b)));
    }
    return { choices, set, label, Operation };
  },
  template: `
    <el-popover trigger="click" placement="bottom-end" :width="240">
      <template #reference><el-button :icon="Operation" data-test="columns">{{ t('list.columns') }}</el-button></template>
      <el-checkbox-group :model-value="modelValue" @update:model-value="set" class="column-choices">
        <el-checkbox v-for="f in choices" :key="f.name" :value="f.name" :label="label(f.label, f.name)" />
      </el-checkbox-group>
    </el-popover>`,
};
