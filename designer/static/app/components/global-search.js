// The header's search box: one keyword over every entity the user may read (GET /search), a few
// hits per entity in a dropdown; a hit opens the record, "all" opens the entity's list searched.
import { api } from '../api.js';
import { label } from '../i18n.js';
import { listRoute, recordRoute } from '../links.js';

const { ref } = Vue;
const { useRouter } = VueRouter;
const { Search } = ElementPlusIconsVue;

export default {
  name: 'GlobalSearch',
  setup() {
    const router = useRouter();
    const q = ref('');
    const result = ref(null);
    const open = ref(false);
    const loading = ref(false);
    let timer = null;
    let asked = 0;
    async function run() {
      const text = q.value.trim();
      if (!text) { result.value = null; open.value = false; return; }
      const mine = ++asked;
      loading.value = true;
      try {
        const r = await api.get('/search', { q: text.slice(0, 100), per_entity: 5 });
        if (mine === asked) { result.value = r; open.value = true; }
      } finally {
        if (mine === asked) loading.value = false;
      }
    }
    function typed() { clearTimeout(timer); timer = setTimeout(run, 250); }
    function go(to) { open.value = false; router.push(to); }
    function first() {
      const g = result.value && result.value.items[0];
      if (g) go(recordRoute(g.app, g.entity, g.hits[0].id));
    }
    const later = () => setTimeout(() => { open.value = false; }, 200); // let a click on a hit land first
    return { q, result, open, loading, typed, go, first, later, label, listRoute, recordRoute, Search };
  },
  template: `
    <div class="global-search">
      <el-input v-model="q" :prefix-icon="Search" clearable :placeholder="t('search.placeholder')" data-test="global-search"
                @input="typed" @focus="result && (open = true)" @blur="later" @keydown.enter="first" @keydown.esc="open = false" />
      <div v-if="open" class="search-drop" data-test="search-results">
        <div v-if="!result.items.length" class="search-none">{{ t('search.none', { q: result.q }) }}</div>
        <div v-for="g in result.items" :key="g.app + '/' + g.entity" class="search-group" :data-entity="g.entity">
          <div class="search-group-head">
            <span>{{ label(g.label, g.entity) }}</span>
            <a class="search-all" @mousedown.prevent="go(listRoute(g.app, g.entity, { q: result.q }))">{{ t('search.all', { n: g.total }) }}</a>
          </div>
          <a v-for="h in g.hits" :key="h.id" class="search-hit" @mousedown.prevent="go(recordRoute(g.app, g.entity, h.id))">{{ h.title || ('#' + h.id) }}</a>
        </div>
      </div>
    </div>`,
};
