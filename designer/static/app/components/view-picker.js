// Saved views of one list (the user's own): pick one to apply its filters, sort and columns; save the
// current ones under a name; update or delete the view picked.
import { api } from '../api.js';
import { label, t } from '../i18n.js';

const { ref, watch } = Vue;
const { ElMessage, ElMessageBox } = ElementPlus;

export default {
  name: 'ViewPicker',
  props: {
    app: { type: String, required: true },
    entity: { type: String, required: true },
    modelValue: { default: null }, // the id of the view applied, or null
    capture: { type: Function, required: true }, // () => {filters, sort, columns} of the list now
  },
  emits: ['update:modelValue', 'apply'],
  setup(props, { emit }) {
    const views = ref([]);
    async function load() {
      views.value = (await api.get('/views', { app: props.app, entity: props.entity })).items;
      if (!props.modelValue) return;
      const current = views.value.find((v) => v.id === props.modelValue);
      if (!current) emit('update:modelValue', null); // a view deleted since: the default one
      emit('apply', current || null);
    }
    watch(() => [props.app, props.entity], load, { immediate: true });
    function pick(id) {
      emit('update:modelValue', id || null);
      emit('apply', views.value.find((v) => v.id === id) || null);
    }
    const fail = (e) => ElMessage.error(label(e.message));
    async function saveAs() {
      let name;
      try {
        ({ value: name } = await ElMessageBox.prompt(t('views.name'), t('views.save'), {
          confirmButtonText: t('common.save'), cancelButtonText: t('common.cancel'),
          inputValidator: (v) => Boolean(v && v.trim()) || t('views.name_required'),
        }));
      } catch (e) { return; } // cancelled
      try {
        const v = await api.post('/views', { app: props.app, entity: props.entity, name: name.trim(), ...props.capture() });
        views.value = [...views.value, v].sort((a, b) => a.name.localeCompare(b.name));
        emit('update:modelValue', v.id);
        ElMessage.success(t('views.saved', { name: v.name }));
      } catch (e) { fail(e); }
    }
    async function command(cmd) {
      const id = props.modelValue;
      if (cmd === 'save') return saveAs();
      if (!id) return undefined;
      try {
        if (cmd === 'update') {
          const v = await api.patch(`/views/${id}`, props.capture());
          views.value = views.value.map((x) => (x.id === id ? v : x));
          ElMessage.success(t('views.saved', { name: v.name }));
        } else if (cmd === 'delete') {
          await api.del(`/views/${id}`);
          views.value = views.value.filter((x) => x.id !== id);
          pick(null);
        }
      } catch (e) { fail(e); }
      return undefined;
    }
    return { views, pick, command };
  },
  template: `
    <div class="view-picker">
      <el-select :model-value="modelValue" clearable :placeholder="t('views.default')" data-test="view-select"
                 @update:model-value="pick" class="view-select">
        <el-option v-for="v in views" :key="v.id" :value="v.id" :label="v.name" />
      </el-select>
      <el-dropdown trigger="click" @command="command">
        <el-button data-test="view-menu">{{ t('views.menu') }}</el-button>
        <template #dropdown>
          <el-dropdown-menu>
            <el-dropdown-item command="save" data-test="view-save">{{ t('views.save') }}</el-dropdown-item>
            <el-dropdown-item command="update" :disabled="!modelValue">{{ t('views.update') }}</el-dropdown-item>
            <el-dropdown-item command="delete" :disabled="!modelValue">{{ t('views.delete') }}</el-dropdown-item>
          </el-dropdown-menu>
        </template>
      </el-dropdown>
    </div>`,
};
