// Attachments and images: files go up first (POST /api/v1/files, through XMLHttpRequest so each shows
// its progress), and the field then holds their ids until the record is saved. Saved files open
// through their record (GET …/{id}/files/{file_id}); an image shows as a thumbnail.
import { csrfHeaders } from '../api.js';
import { label, t } from '../i18n.js';

const { ref, reactive } = Vue;
const { ElMessage } = ElementPlus;
const { Upload, Close } = ElementPlusIconsVue;

function sizeText(n) {
  if (!n && n !== 0) return '';
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

export default {
  name: 'AttachmentUpload',
  props: {
    field: { type: Object, required: true },
    modelValue: { type: Array, default: () => [] },
    app: { type: String, required: true },
    entity: { type: String, required: true },
    recordId: { type: [Number, String], default: null },
    saved: { type: Array, default: () => [] }, // ids of the files the saved record holds (they can be opened)
    disabled: { type: Boolean, default: false },
  },
  emits: ['update:modelValue'],
  setup(props, { emit }) {
    const input = ref(null);
    const uploads = ref([]); // {key, name, percent, failed}
    const previews = reactive({}); // file id -> object URL of a new image
    const image = props.field.type === 'image';
    const max = props.field.max_count || (image ? 9 : 10);
    const accept = (props.field.accept || (image ? ['image/*'] : [])).join(',');
    let current = props.modelValue || [];
    const files = () => props.modelValue || [];

    const url = (f) => (props.recordId && props.saved.includes(f.id)
      ? `/api/v1/records/${props.app}/${props.entity}/${props.recordId}/files/${f.id}` : null);

    function send(file) {
      const u = reactive({ key: `${Date.now()}-${Math.random()}`, name: file.name, percent: 0 });
      uploads.value.push(u);
      const form = new FormData();
      form.append('app', props.app); // the field first: the server applies its limits while reading
      form.append('entity', props.entity);
      form.append('field', props.field.name);
      form.append('file', file);
      const xhr = new XMLHttpRequest();
      xhr.open('POST', '/api/v1/files');
      xhr.setRequestHeader('Accept', 'application/json');
      for (const [k, v] of Object.entries(csrfHeaders())) xhr.setRequestHeader(k, v);
      xhr.upload.onprogress = (e) => { if (e.lengthComputable) u.percent = Math.min(99, Math.round((e.loaded * 100) / e.total)); };
      const done = () => { uploads.value = uploads.value.filter((x) => x !== u); };
      xhr.onload = () => {
        done();
        let body = null;
        try { body = JSON.parse(xhr.responseText); } catch (e) { body = null; }
        if (xhr.status === 201 && body) {
          if (image) previews[body.id] = URL.createObjectURL(file);
          current = [...files(), body];
          emit('update:modelValue', current);
        } else {
          const why = body && body.message ? label(body.message) : `HTTP ${xhr.status}`;
          ElMessage.error(t('form.upload_failed', { name: file.name, why }));
        }
      };
      xhr.onerror = () => { done(); ElMessage.error(t('form.upload_failed', { name: file.name, why: 'network' })); };
      xhr.send(form);
    }

    function picked(e) {
      const chosen = [...(e.target.files || [])];
      e.target.value = '';
      const room = max - files().length - uploads.value.length;
      if (chosen.length > room) ElMessage.warning(t('form.files_limit', { n: max }));
      chosen.slice(0, Math.max(0, room)).forEach(send);
    }
    const remove = (f) => emit('update:modelValue', files().filter((x) => x.id !== f.id));
    const thumb = (f) => previews[f.id] || url(f);
    return { input, uploads, image, max, accept, picked, remove, url, thumb, sizeText, Upload, Close };
  },
  template: `
    <div class="attachment-upload" :class="{ image }">
      <ul v-if="modelValue && modelValue.length" class="file-list">
        <li v-for="f in modelValue" :key="f.id" class="file-item" :data-file="f.name">
          <img v-if="image && thumb(f)" :src="thumb(f)" class="file-thumb" alt="" />
          <a v-if="url(f)" :href="url(f)" target="_blank" rel="noopener" class="file-name">{{ f.name }}</a>
          <span v-else class="file-name">{{ f.name }}</span>
          <span class="muted file-size">{{ sizeText(f.size) }}</span>
          <el-button v-if="!disabled" link :icon="Close" :title="t('form.remove_file')" :aria-label="t('form.remove_file')" @click="remove(f)" />
        </li>
      </ul>
      <div v-for="u in uploads" :key="u.key" class="upload-progress" data-test="upload-progress">
        <span class="file-name">{{ u.name }}</span>
        <el-progress :percentage="u.percent" :stroke-width="6" />
      </div>
      <template v-if="!disabled && (modelValue || []).length + uploads.length < max">
        <input ref="input" type="file" class="file-input" :accept="accept || undefined" multiple data-test="file-input" @change="picked" />
        <el-button size="small" :icon="Upload" @click="input.click()">{{ image ? t('form.upload_image') : t('form.upload') }}</el-button>
      </template>
    </div>`,
};
