// A record's page (#/r/:app/:entity/:id) and a new record's (#/r/:app/:entity/new, with ?field=value
// to start it linked, e.g. a contact of customer 12): the entity's definition and the record are
// loaded here, then the editor (form/record-editor.js) does the rest. Nothing here knows an entity.
import '../form/messages.js';
import { api } from '../api.js';
import { label, t } from '../i18n.js';
import { entityMeta } from '../session.js';
import RecordEditor from '../form/record-editor.js';
import { prefill } from '../form/prefill.js';

const { ref } = Vue;
const { useRoute } = VueRouter;

export default {
  name: 'RecordPage',
  components: { RecordEditor },
  setup() {
    const route = useRoute();
    const { app, entity } = route.params;
    const id = route.params.id ? Number(route.params.id) : null;
    const meta = ref(null);
    const record = ref(null);
    const failure = ref(null);
    const ready = ref(false);
    const initial = ref({});
    (async () => {
      try {
        const m = await entityMeta(app, entity);
        if (id) record.value = await api.get(`/records/${app}/${entity}/${id}`);
        else initial.value = await prefill(app, m, route.query);
        meta.value = m;
        ready.value = true;
      } catch (e) {
        failure.value = e;
      }
    })();
    return { app, entity, id, meta, record, failure, ready, initial, label, t };
  },
  template: `
    <div class="record-page" :data-entity="entity">
      <el-result v-if="failure" icon="warning" :title="failure.status === 404 ? t('form.not_found') : label(failure.message)"
                 :sub-title="failure.status === 404 ? label(failure.message) : ''" data-test="record-failure" />
      <record-editor v-else-if="ready" :app="app" :entity="entity" :meta="meta" :record="record" :initial="initial" />
      <div v-else v-loading="true" class="record-loading"></div>
    </div>`,
};
