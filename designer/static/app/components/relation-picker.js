// Choose related records by searching their titles: GET /records/{app}/{entity}/picker?q= (the
// records the user may read). v-model is [{id, title}] (multiple) or {id, title} | null.
import { api } from '../api.js';
import { FORM } from '../form/form-model.js';

const { ref, watch, computed, inject } = Vue;

export default {
  name: 'RelationPicker',
  props: {
    app: { type: String, required: true },
    entity: { type: String, required: true },
    modelValue: { default: null },
    multiple: { type: Boolean, default: false },
    filter: { type: Object, default: null }, // a form state's picker filter ({"customer": 12})
    field: { type: String, default: null }, // the form state's relation field path: its own filter applies
    placeholder: { type: String, default: '' },
  },
  emits: ['update:modelValue'],
  setup(props, { emit }) {
    const form = inject(FORM, null); // none in a list's filter bar
    const waiting = computed(() => !!(form && form.waiting()));
    const found = ref([]);
    const loading = ref(false);
    const chosen = computed(() => (props.multiple ? (props.modelValue || []) : (props.modelValue ? [props.modelValue] : [])));
    const ids = computed({
      get: () => (props.multiple ? chosen.value.map((r) => r.id) : (props.modelValue ? props.modelValue.id : null)),
      set: (v) => {
        const known = new Map([...chosen.value, ...found.value].map((r) => [r.id, r]));
        if (props.multiple) emit('update:modelValue', (v || []).map((id) => known.get(id) || { id, title: `#${id}` }));
        else emit('update:modelValue', v === null || v === undefined || v === '' ? null : (known.get(v) || { id: v, title: `#${v}` }));
      },
    });
    const shown = computed(() => {
      const seen = new Map(chosen.value.map((r) => [r.id, r]));
      for (const r of found.value) if (!seen.has(r.id)) seen.set(r.id, r);
      return [...seen.values()];
    });
    let asked = 0;
    let open = false;
    let lastQ = '';
    async function search(q) {
      lastQ = q || '';
      const mine = ++asked;
      loading.value = true;
      try {
        const r = await api.get(`/records/${props.app}/${props.entity}/picker`, { q: q || undefined, page_size: 20, filter: props.filter || undefined, field: props.field || undefined });
        if (mine === asked) found.value = r.items;
      } finally {
        if (mine === asked) loading.value = false;
      }
    }
    // chosen records known only by id (a saved view's filter): fetch their titles once
    watch(chosen, async (rows) => {
      const unknown = rows.filter((r) => !r.title || r.title === `#${r.id}`).map((r) => r.id);
      if (!unknown.length) return;
      const r = await api.get(`/records/${props.app}/${props.entity}/picker`, { filter: { id: { in: unknown } }, page_size: unknown.length });
      const titles = new Map(r.items.map((x) => [x.id, x]));
      const fixed = rows.map((x) => titles.get(x.id) || x);
      emit('update:modelValue', props.multiple ? fixed : fixed[0]);
    }, { immediate: true });
    // the form state may bring the field's filter after the list was opened (a new sub-table row):
    // what is on show must never be more than the filter admits
    watch(() => [props.field, JSON.stringify(props.filter || null)], () => { if (open && !waiting.value) search(lastQ); });
    // opened while the form state is on its way: show loading, search once its filter is known
    watch(waiting, (w) => { if (!w && open) search(lastQ); });
    function opened(v) {
      open = v;
      if (!v) { lastQ = ''; return; } // the select clears what was typed when it closes
      if (waiting.value) loading.value = true;
      else search(lastQ);
    }
    return { ids, shown, loading, search, opened };
  },
  template: `
    <el-select v-model="ids" :multiple="multiple" filterable remote clearable collapse-tags collapse-tags-tooltip
               :remote-method="search" :loading="loading" :placeholder="placeholder || t('picker.search')"
               @visible-change="opened" class="relation-picker">
      <el-option v-for="r in shown" :key="r.id" :value="r.id" :label="r.title || ('#' + r.id)" />
    </el-select>`,
};
