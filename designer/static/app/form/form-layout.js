// The form as the entity's layout draws it: sections with their columns, tabs of sections, and the
// fields the layout does not place in a last section, so every field can be filled. Long fields
// (sub-tables, rich text, files) take a whole row; a narrow screen shows one column. A tab holding a
// message says how many, and a failed save opens the first such tab.
import FormField from './form-field.js';
import { FORM } from './form-model.js';
import { label } from '../i18n.js';
import { splitPath } from './values.js';

const { inject, computed, ref, watch } = Vue;

function names(section) {
  return (section.fields || []).map((x) => (typeof x === 'string' ? x : x.name)).filter(Boolean);
}

export default {
  name: 'FormLayout',
  components: { FormField },
  setup() {
    const form = inject(FORM);
    const s = form.state;
    const layout = s.meta.layout || {};
    const known = new Set(s.meta.fields.map((f) => f.name));
    const placed = new Set();
    const clean = (sections) => (sections || []).map((sec) => {
      const fields = names(sec).filter((n) => known.has(n));
      fields.forEach((n) => placed.add(n));
      return { label: sec.label, columns: Math.min(Math.max(sec.columns || 1, 1), 4), fields };
    }).filter((sec) => sec.fields.length);
    const sections = clean(layout.sections);
    const tabs = (layout.tabs || []).map((tab) => ({ label: tab.label, sections: clean(tab.sections) }))
      .filter((tab) => tab.sections.length);
    const rest = s.meta.fields.map((f) => f.name).filter((n) => !placed.has(n));
    const extra = rest.length ? [{ key: placed.size ? 'form.other_section' : null, columns: 2, fields: rest }] : [];
    const tail = tabs.length ? [] : extra;
    if (tabs.length && extra.length) tabs[tabs.length - 1].sections.push(...extra);

    const active = ref('0');
    const errorCount = (fieldNames) => {
      const set = new Set(fieldNames);
      return s.errors.filter((e) => set.has(splitPath(e.path).name)).length;
    };
    const tabErrors = computed(() => tabs.map((tab) => (s.showAll ? errorCount(tab.sections.flatMap((x) => x.fields)) : 0)));
    watch(() => [s.showAll, s.errors], () => {
      if (!s.showAll) return;
      const first = tabErrors.value.findIndex((n) => n > 0);
      if (first >= 0 && !tabErrors.value[Number(active.value)]) active.value = String(first);
    });
    return { sections, tabs, tail, active, tabErrors, label };
  },
  template: `
    <div class="form-layout">
      <section v-for="(sec, i) in sections" :key="'s' + i" class="form-section">
        <h3 v-if="sec.label || sec.key" class="form-section-title">{{ sec.key ? t(sec.key) : label(sec.label) }}</h3>
        <div class="form-grid" :style="{ '--cols': sec.columns }"><form-field v-for="n in sec.fields" :key="n" :name="n" /></div>
      </section>
      <el-tabs v-if="tabs.length" v-model="active" class="form-tabs">
        <el-tab-pane v-for="(tab, ti) in tabs" :key="ti" :name="String(ti)">
          <template #label><span class="form-tab-label" :data-tab="ti">{{ label(tab.label) }}<el-badge v-if="tabErrors[ti]" :value="tabErrors[ti]" type="danger" class="tab-errors" /></span></template>
          <section v-for="(sec, i) in tab.sections" :key="i" class="form-section">
            <h3 v-if="sec.label || sec.key" class="form-section-title">{{ sec.key ? t(sec.key) : label(sec.label) }}</h3>
            <div class="form-grid" :style="{ '--cols': sec.columns }"><form-field v-for="n in sec.fields" :key="n" :name="n" /></div>
          </section>
        </el-tab-pane>
      </el-tabs>
      <section v-for="(sec, i) in tail" :key="'t' + i" class="form-section">
        <h3 v-if="sec.label || sec.key" class="form-section-title">{{ sec.key ? t(sec.key) : label(sec.label) }}</h3>
        <div class="form-grid" :style="{ '--cols': sec.columns }"><form-field v-for="n in sec.fields" :key="n" :name="n" /></div>
      </section>
    </div>`,
};
