// Print to PDF from the entity's templates (GET …/print-templates), in Chinese or English: the PDF
// opens in a new tab (GET …/{id}/print/{name}?lang=). Shown only to users with the print grant.
import { api } from '../api.js';
import { label, lang } from '../i18n.js';
import { can } from '../session.js';

const { ref } = Vue;
const { Printer } = ElementPlusIconsVue;

export default {
  name: 'PrintMenu',
  props: {
    app: { type: String, required: true },
    entity: { type: String, required: true },
    recordId: { type: [Number, String], required: true },
  },
  setup(props) {
    const templates = ref([]);
    if (can(props.app, props.entity, 'print')) {
      api.get(`/records/${props.app}/${props.entity}/print-templates`).then((r) => { templates.value = r.items; })
        .catch(() => { templates.value = []; });
    }
    const href = (tpl, l) => `/api/v1/records/${props.app}/${props.entity}/${props.recordId}/print/${encodeURIComponent(tpl.name)}?lang=${l}`;
    const choices = () => {
      const langs = lang.value === 'zh' ? ['zh', 'en'] : ['en', 'zh'];
      return templates.value.flatMap((tpl) => langs.map((l) => ({ key: `${tpl.name}:${l}`, tpl, lang: l, href: href(tpl, l) })));
    };
    return { templates, choices, label, Printer };
  },
  template: `
    <el-dropdown v-if="templates.length" trigger="click" class="print-menu">
      <el-button :icon="Printer" data-test="print">{{ t('form.print') }}</el-button>
      <template #dropdown>
        <el-dropdown-menu>
          <el-dropdown-item v-for="c in choices()" :key="c.key">
            <a :href="c.href" target="_blank" rel="noopener" class="print-link" :data-template="c.tpl.name" :data-lang="c.lang">
              {{ t('form.print_lang', { name: label(c.tpl.label, c.tpl.name), lang: t('form.lang.' + c.lang) }) }}</a>
          </el-dropdown-item>
        </el-dropdown-menu>
      </template>
    </el-dropdown>`,
};
