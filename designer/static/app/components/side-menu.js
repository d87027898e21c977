// The menu: home, the inbox, and per installed app the entities the user may read.
import { label } from '../i18n.js';
import { session } from '../session.js';

const { computed } = Vue;
const { useRoute } = VueRouter;
const { HomeFilled, Bell, Folder } = ElementPlusIconsVue;

export default {
  name: 'SideMenu',
  components: { HomeFilled, Bell, Folder },
  emits: ['navigate'],
  setup() {
    const route = useRoute();
    const apps = computed(() => session.apps.map((a) => ({ ...a, entities: a.entities.filter((e) => e.actions.read) }))
      .filter((a) => a.entities.length));
    const active = computed(() => {
      const m = /^\/(?:l|r|k)\/([^/]+)\/([^/]+)/.exec(route.path);
      return m ? `/l/${m[1]}/${m[2]}` : route.path;
    });
    const openApps = computed(() => apps.value.map((a) => a.name));
    return { apps, active, openApps, session, label };
  },
  template: `
    <el-menu class="side-menu" router :default-active="active" :default-openeds="openApps" @select="$emit('navigate')">
      <el-menu-item index="/"><el-icon><HomeFilled /></el-icon><span>{{ t('menu.home') }}</span></el-menu-item>
      <el-menu-item index="/inbox" data-test="menu-inbox">
        <el-icon><Bell /></el-icon><span>{{ t('menu.inbox') }}</span>
        <span v-if="session.inbox.total" class="menu-count">{{ session.inbox.total > 99 ? '99+' : session.inbox.total }}</span>
      </el-menu-item>
      <el-sub-menu v-for="a in apps" :key="a.name" :index="a.name" :data-app="a.name">
        <template #title><el-icon><Folder /></el-icon><span>{{ label(a.label, a.name) }}</span></template>
        <el-menu-item v-for="e in a.entities" :key="e.name" :index="'/l/' + a.name + '/' + e.name" :data-entity="e.name">
          {{ label(e.label, e.name) }}
        </el-menu-item>
      </el-sub-menu>
    </el-menu>`,
};
