// A list as cards, for narrow screens: each record's title and a few fields, a box to select it.
import CellValue from './cell-value.js';
import { formatValue, isBlank } from '../fields.js';
import { label } from '../i18n.js';

const CARD_FIELDS = 5;

export default {
  name: 'RecordCards',
  components: { CellValue },
  props: {
    items: { type: Array, required: true },
    fields: { type: Array, required: true }, // the columns shown, as field metas
    selectable: { type: Boolean, default: false },
    selected: { type: Array, default: () => [] }, // ids
  },
  emits: ['open', 'update:selected'],
  setup(props, { emit }) {
    function toggle(id, on) {
      const s = new Set(props.selected);
      if (on) s.add(id); else s.delete(id);
      emit('update:selected', [...s]);
    }
    // the fields worth a line: not blank, and not text the title already shows (a number, a name)
    function shown(r) {
      return props.fields.filter((f) => {
        if (isBlank(r[f.name])) return false;
        const text = formatValue(f, r[f.name]);
        return !(['text', 'autonumber'].includes(f.value_type) && r.title && r.title.includes(text));
      }).slice(0, CARD_FIELDS);
    }
    return { toggle, shown, label };
  },
  template: `
    <div class="record-cards">
      <div v-for="r in items" :key="r.id" class="record-card" :data-id="r.id" @click="$emit('open', r)">
        <div class="card-head">
          <el-checkbox v-if="selectable" :model-value="selected.includes(r.id)" @click.stop
                       @update:model-value="(v) => toggle(r.id, v)" :aria-label="t('list.select')" />
          <span class="card-title">{{ r.title || ('#' + r.id) }}</span>
        </div>
        <dl class="card-fields">
          <div v-for="f in shown(r)" :key="f.name" class="card-field">
            <dt>{{ label(f.label, f.name) }}</dt>
            <dd><cell-value :field="f" :value="r[f.name]" /></dd>
          </div>
        </dl>
      </div>
    </div>`,
};
