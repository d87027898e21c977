// Numbers, money and percents, typed as text: the value stays an exact decimal (no float on the
// way), the server checks and rounds it. A percent is typed as 15 and held as its fraction 0.15.
import { fractionToPercent, percentToFraction } from './values.js';

const { ref, watch } = Vue;
const CURRENCY = { CNY: '¥', USD: '$', EUR: '€', GBP: '£', JPY: '¥', HKD: 'HK$' };

export default {
  name: 'NumberInput',
  props: {
    field: { type: Object, required: true },
    modelValue: { default: null },
    disabled: { type: Boolean, default: false },
    compact: { type: Boolean, default: false },
  },
  emits: ['update:modelValue'],
  setup(props, { emit }) {
    const percent = props.field.type === 'percent';
    const shown = (v) => (percent ? fractionToPercent(v) : (v ?? ''));
    const text = ref(shown(props.modelValue));
    // a value set from outside (a default, a reload) replaces the text; the user's own typing does not
    watch(() => props.modelValue, (v) => {
      const mine = percent ? percentToFraction(text.value) : (text.value === '' ? null : text.value);
      if (String(mine ?? '') !== String(v ?? '')) text.value = shown(v);
    });
    function input(v) {
      text.value = v;
      const s = String(v).trim().replace(/[,，\s]/g, '');
      emit('update:modelValue', s === '' ? null : (percent ? percentToFraction(s) : s));
    }
    const prefix = props.field.type === 'money' ? (CURRENCY[props.field.currency] || '') : '';
    return { text, input, percent, prefix };
  },
  template: `
    <el-input :model-value="text" @update:model-value="input" :disabled="disabled" inputmode="decimal"
              class="number-input" :class="{ compact }" :placeholder="compact ? '' : undefined">
      <template v-if="prefix && !compact" #prefix>{{ prefix }}</template>
      <template v-if="percent" #suffix>%</template>
    </el-input>`,
};
