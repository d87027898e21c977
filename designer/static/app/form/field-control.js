// The input of one field (or one sub-table cell), chosen by its type: text of each kind, numbers,
// choices, dates and times, yes/no, ratings, related records (a picker that searches, narrowed by
// the form state's filter), people, rich text and files. Read-only fields show their value.
import NumberInput from './number-input.js';
import ChoiceInput from './choice-input.js';
import PeoplePicker from './people-picker.js';
import RichText from './rich-text.js';
import AttachmentUpload from './attachment-upload.js';
import ReadonlyValue from './readonly-value.js';
import RelationPicker from '../components/relation-picker.js';

const { computed } = Vue;
const TEXT_INPUT = { text: 'text', email: 'email', phone: 'tel', url: 'url' };

function toUtc(d) {
  return d ? new Date(d).toISOString().replace(/\.\d{3}Z$/, 'Z') : null;
}

export default {
  name: 'FieldControl',
  components: { NumberInput, ChoiceInput, PeoplePicker, RichText, AttachmentUpload, ReadonlyValue, RelationPicker },
  props: {
    field: { type: Object, required: true },
    modelValue: { default: null },
    flags: { type: Object, default: () => ({}) },
    readonly: { type: Boolean, default: false },
    compact: { type: Boolean, default: false }, // a sub-table cell
    app: { type: String, required: true },
    entity: { type: String, required: true },
    recordId: { type: [Number, String], default: null },
    parentValue: { default: undefined },
    savedFiles: { type: Array, default: () => [] },
  },
  emits: ['update:modelValue'],
  setup(props, { emit }) {
    const type = computed(() => props.field.type);
    const value = computed({ get: () => props.modelValue, set: (v) => emit('update:modelValue', v) });
    const text = computed({
      get: () => props.modelValue ?? '',
      set: (v) => emit('update:modelValue', v === '' ? null : v),
    });
    // datetimes are UTC in the API and local on the screen
    const when = computed({
      get: () => (props.modelValue ? new Date(props.modelValue) : null),
      set: (v) => emit('update:modelValue', toUtc(v)),
    });
    // no stars is no rating (blank), not a rating of 0
    const stars = computed({ get: () => Number(props.modelValue) || 0, set: (v) => emit('update:modelValue', v ? v : null) });
    // a blank yes/no shows as "no" without becoming false: the switch itself would write false into a
    // value that is neither of its two (issue 11 item 18: an untouched record looked edited)
    const onOff = computed({ get: () => props.modelValue === true, set: (v) => emit('update:modelValue', v) });
    return { type, value, text, when, stars, onOff, TEXT_INPUT };
  },
  template: `
    <readonly-value v-if="readonly" :field="field" :value="modelValue" :app="app" :entity="entity" :record-id="recordId" />
    <el-input v-else-if="TEXT_INPUT[type]" v-model="text" :type="TEXT_INPUT[type]" :maxlength="field.max_length"
              :inputmode="type === 'phone' ? 'tel' : undefined" clearable />
    <el-input v-else-if="type === 'textarea'" v-model="text" type="textarea" :autosize="{ minRows: compact ? 1 : 2, maxRows: 10 }"
              :maxlength="field.max_length" />
    <number-input v-else-if="type === 'number' || type === 'money' || type === 'percent'" v-model="value" :field="field" :compact="compact" />
    <choice-input v-else-if="type === 'select' || type === 'multiselect' || type === 'cascade'" v-model="value" :field="field"
                  :flags="flags" :parent-value="parentValue" :compact="compact" />
    <el-switch v-else-if="type === 'boolean'" v-model="onOff" :active-text="compact ? '' : t('form.yes')" :inactive-text="compact ? '' : t('form.no')" />
    <el-rate v-else-if="type === 'rating'" v-model="stars" :max="field.max || 5" clearable />
    <el-date-picker v-else-if="type === 'date'" v-model="value" type="date" value-format="YYYY-MM-DD" :placeholder="t('form.choose')" class="date-input" />
    <el-date-picker v-else-if="type === 'datetime'" v-model="when" type="datetime" :placeholder="t('form.choose')" class="date-input" />
    <el-time-picker v-else-if="type === 'time'" v-model="value" value-format="HH:mm:ss" :placeholder="t('form.choose')" class="date-input" />
    <relation-picker v-else-if="type === 'relation'" v-model="value" :app="app" :entity="field.to"
                     :filter="flags && flags.filter ? flags.filter : null" :field="flags && flags.field ? flags.field : null" />
    <people-picker v-else-if="type === 'user' || type === 'department'" v-model="value" :kind="type" />
    <rich-text v-else-if="type === 'richtext'" v-model="value" />
    <attachment-upload v-else-if="type === 'attachment' || type === 'image'" v-model="value" :field="field" :app="app"
                       :entity="entity" :record-id="recordId" :saved="savedFiles" />
    <readonly-value v-else :field="field" :value="modelValue" :app="app" :entity="entity" :record-id="recordId" />`,
};
