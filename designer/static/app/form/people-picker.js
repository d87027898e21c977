// A member or a department, searched by name in the organisation's directory
// (GET /users/directory, /departments/directory). v-model is {id, title} | null, as the API gives it.
import { api } from '../api.js';

const { ref, computed } = Vue;

export default {
  name: 'PeoplePicker',
  props: {
    kind: { type: String, default: 'user' }, // user | department
    modelValue: { default: null },
    disabled: { type: Boolean, default: false },
  },
  emits: ['update:modelValue'],
  setup(props, { emit }) {
    const found = ref([]);
    const loading = ref(false);
    const path = props.kind === 'department' ? '/departments/directory' : '/users/directory';
    const titleOf = (x) => (props.kind === 'department' ? x.name : `${x.name} (${x.login})`);
    const hint = (x) => (props.kind === 'department' ? (x.parent || '') : (x.department || ''));
    let asked = 0;
    async function search(q) {
      const mine = ++asked;
      loading.value = true;
      try {
        const r = await api.get(path, { q: q || undefined, limit: 20 });
        if (mine === asked) found.value = r.items.map((x) => ({ id: x.id, title: titleOf(x), hint: hint(x) }));
      } finally {
        if (mine === asked) loading.value = false;
      }
    }
    const shown = computed(() => {
      const out = props.modelValue ? [props.modelValue] : [];
      for (const x of found.value) if (!out.some((y) => y.id === x.id)) out.push(x);
      return out;
    });
    const id = computed({
      get: () => (props.modelValue ? props.modelValue.id : null),
      set: (v) => emit('update:modelValue', v === null || v === undefined || v === '' ? null
        : (shown.value.find((x) => x.id === v) || { id: v, title: `#${v}` })),
    });
    return { id, shown, loading, search };
  },
  template: `
    <el-select v-model="id" filterable remote clearable :remote-method="search" :loading="loading" :disabled="disabled"
               :placeholder="t('picker.search')" class="people-picker" @visible-change="(open) => open && search('')">
      <el-option v-for="x in shown" :key="x.id" :value="x.id" :label="x.title">
        <span>{{ x.title }}</span><span v-if="x.hint" class="muted option-hint">{{ x.hint }}</span>
      </el-option>
    </el-select>`,
};
