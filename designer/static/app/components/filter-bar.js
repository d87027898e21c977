// The list's filters: a keyword box, and one widget per chosen field, by the field's type (text
// contains, option lists, date and number ranges, a relation picker that searches). It edits
// `state` ({q, active: [field names], values: {name: widget value}}) and emits "change".
import { filterKind, options } from '../fields.js';
import { label } from '../i18n.js';
import RelationPicker from './relation-picker.js';

const { computed } = Vue;
const { Plus, Close, Search } = ElementPlusIconsVue;

export default {
  name: 'FilterBar',
  components: { RelationPicker },
  props: {
    meta: { type: Object, required: true },
    state: { type: Object, required: true },
    mobile: { type: Boolean, default: false },
  },
  emits: ['change'],
  setup(props, { emit }) {
    const byName = computed(() => new Map(props.meta.fields.map((f) => [f.name, f])));
    const filterable = computed(() => props.meta.field_order.map((n) => byName.value.get(n)).filter((f) => f && filterKind(f)));
    const addable = computed(() => filterable.value.filter((f) => !props.state.active.includes(f.name)));
    const activeFields = computed(() => props.state.active.map((n) => byName.value.get(n)).filter(Boolean));
    let timer = null;
    const changed = () => emit('change');
    const typed = () => { clearTimeout(timer); timer = setTimeout(changed, 400); };
    function add(name) {
      props.state.active.push(name);
      const kind = filterKind(byName.value.get(name));
      props.state.values[name] = ['options', 'options-any', 'relation'].includes(kind) ? [] : (kind && kind.endsWith('range') ? [null, null] : null);
    }
    function remove(name) {
      props.state.active.splice(props.state.active.indexOf(name), 1);
      delete props.state.values[name];
      changed();
    }
    function setRange(name, i, v) {
      const r = [...(props.state.values[name] || [null, null])];
      r[i] = v === '' ? null : v;
      props.state.values[name] = r;
    }
    return { filterable, addable, activeFields, filterKind, options, label, add, remove, changed, typed, setRange, Plus, Close, Search };
  },
  template: `
    <div class="filter-bar" :class="{ mobile }">
      <el-input v-if="meta.searchable.length" v-model="state.q" class="filter-q" clearable :prefix-icon="Search"
                :placeholder="t('list.keyword')" @input="typed" @clear="changed" data-test="keyword" />
      <div v-for="f in activeFields" :key="f.name" class="filter-item" :data-filter="f.name">
        <span class="filter-label">{{ label(f.label, f.name) }}</span>
        <template v-if="filterKind(f) === 'text'">
          <el-input v-model="state.values[f.name]" clearable :placeholder="t('filter.contains')" @input="typed" @clear="changed" />
        </template>
        <template v-else-if="filterKind(f) === 'options' || filterKind(f) === 'options-any'">
          <el-select v-model="state.values[f.name]" multiple collapse-tags collapse-tags-tooltip clearable
                     :placeholder="t('filter.any')" @change="changed">
            <el-option v-for="o in options(f)" :key="o.value" :value="o.value" :label="label(o.label, o.value)" />
          </el-select>
        </template>
        <template v-else-if="filterKind(f) === 'relation'">
          <relation-picker v-model="state.values[f.name]" :app="meta.app.name" :entity="f.relation_to" multiple
                           @update:model-value="changed" />
        </template>
        <template v-else-if="filterKind(f) === 'boolean'">
          <el-select v-model="state.values[f.name]" clearable :placeholder="t('filter.any')" @change="changed">
            <el-option :value="true" :label="t('value.yes')" />
            <el-option :value="false" :label="t('value.no')" />
          </el-select>
        </template>
        <template v-else-if="['date-range', 'datetime-range'].includes(filterKind(f))">
          <el-date-picker v-if="!mobile" v-model="state.values[f.name]" type="daterange" value-format="YYYY-MM-DD"
                          unlink-panels :start-placeholder="t('filter.from')" :end-placeholder="t('filter.to')"
                          @update:model-value="(v) => { state.values[f.name] = v || [null, null]; changed(); }" />
          <div v-else class="range">
            <el-date-picker :model-value="(state.values[f.name] || [])[0]" type="date" value-format="YYYY-MM-DD"
                            :placeholder="t('filter.from')" @update:model-value="(v) => { setRange(f.name, 0, v); changed(); }" />
            <el-date-picker :model-value="(state.values[f.name] || [])[1]" type="date" value-format="YYYY-MM-DD"
                            :placeholder="t('filter.to')" @update:model-value="(v) => { setRange(f.name, 1, v); changed(); }" />
          </div>
        </template>
        <template v-else-if="filterKind(f) === 'number-range'">
          <div class="range">
            <el-input :model-value="(state.values[f.name] || [])[0]" type="number" :placeholder="t('filter.min')"
                      @update:model-value="(v) => { setRange(f.name, 0, v); typed(); }" />
            <span class="range-sep">–</span>
            <el-input :model-value="(state.values[f.name] || [])[1]" type="number" :placeholder="t('filter.max')"
                      @update:model-value="(v) => { setRange(f.name, 1, v); typed(); }" />
            <span v-if="f.value_type === 'percent'" class="range-sep">%</span>
          </div>
        </template>
        <el-button class="filter-remove" link :icon="Close" :aria-label="t('filter.remove')" @click="remove(f.name)" />
      </div>
      <el-dropdown v-if="addable.length" trigger="click" max-height="320px" @command="add">
        <el-button :icon="Plus" data-test="add-filter">{{ t('filter.add') }}</el-button>
        <template #dropdown>
          <el-dropdown-menu>
            <el-dropdown-item v-for="f in addable" :key="f.name" :command="f.name" :data-field="f.name">{{ label(f.label, f.name) }}</el-dropdown-item>
          </el-dropdown-menu>
        </template>
      </el-dropdown>
    </div>`,
};
