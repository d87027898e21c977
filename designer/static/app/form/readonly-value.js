// A value the user reads but does not change here: a computed field, a field locked by a rule or a
// role, or any field of a record they may not edit. Related records are links; files download with
// their record; rich text shows as the (server-sanitised) HTML it is.
import { formatValue, isBlank } from '../fields.js';
import { recordRoute } from '../links.js';
import CellValue from '../components/cell-value.js';

export default {
  name: 'ReadonlyValue',
  components: { CellValue },
  props: {
    field: { type: Object, required: true }, // a field meta (value_type says what a computed field holds)
    value: { default: null },
    app: { type: String, required: true },
    entity: { type: String, required: true },
    recordId: { type: [Number, String], default: null },
  },
  setup(props) {
    const kind = () => props.field.value_type || props.field.type;
    const fileUrl = (f) => `/api/v1/records/${props.app}/${props.entity}/${props.recordId}/files/${f.id}`;
    const target = () => props.field.relation_to || props.field.to;
    return { kind, fileUrl, target, isBlank, formatValue, recordRoute };
  },
  template: `
    <div class="readonly-value" :class="'ro-' + kind()">
      <span v-if="isBlank(value)" class="muted">{{ t('form.empty') }}</span>
      <template v-else-if="kind() === 'relation' && typeof value === 'object'">
        <router-link v-if="value.title && target()" :to="recordRoute(app, target(), value.id)">{{ value.title }}</router-link>
        <span v-else>{{ value.title || ('#' + value.id) }}</span>
      </template>
      <div v-else-if="kind() === 'richtext'" class="rich-view" v-html="value"></div>
      <ul v-else-if="(kind() === 'attachment' || kind() === 'image') && Array.isArray(value)" class="file-list">
        <li v-for="f in value" :key="f.id">
          <a v-if="recordId" :href="fileUrl(f)" target="_blank" rel="noopener">{{ f.name }}</a><span v-else>{{ f.name }}</span>
        </li>
      </ul>
      <span v-else-if="kind() === 'textarea'" class="pre-wrap">{{ value }}</span>
      <cell-value v-else :field="field" :value="value" />
    </div>`,
};
