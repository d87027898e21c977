// The signed-in layout: a header (app name, global search, inbox counts, language, user menu), the
// side menu (a drawer on phones) and the page.
import { session, refreshInbox, signOut } from '../session.js';
import { inboxRoute } from '../links.js';
import { useMobile } from '../responsive.js';
import GlobalSearch from '../components/global-search.js';
import LangSwitch from '../components/lang-switch.js';
import SideMenu from '../components/side-menu.js';

const { ref, watch } = Vue;
const { useRoute, useRouter } = VueRouter;
const { Bell, Expand, SwitchButton } = ElementPlusIconsVue;

export default {
  name: 'ShellPage',
  components: { GlobalSearch, LangSwitch, SideMenu, Bell },
  setup() {
    const route = useRoute();
    const router = useRouter();
    const mobile = useMobile();
    const menuOpen = ref(false);
    watch(() => route.fullPath, () => { menuOpen.value = false; refreshInbox(); });
    async function command(cmd) {
      if (cmd === 'signout') {
        await router.replace({ name: 'login' }); // leave the signed-in pages before their user goes
        await signOut();
      }
    }
    return { session, mobile, menuOpen, command, inboxRoute, Expand, SwitchButton };
  },
  template: `
    <div v-if="session.user" class="shell" :class="{ mobile }">
      <header class="top-bar">
        <el-button v-if="mobile" class="menu-toggle" link :icon="Expand" :aria-label="t('menu.open')" data-test="menu-toggle" @click="menuOpen = true" />
        <router-link to="/" class="brand"><img src="/static/app/favicon.svg" alt="" /><span>{{ t('app.name') }}</span></router-link>
        <global-search v-if="!mobile" class="top-search" />
        <div class="top-right">
          <router-link :to="inboxRoute()" class="inbox-link" data-test="inbox-link" :title="t('menu.inbox')">
            <el-badge :value="session.inbox.total" :hidden="!session.inbox.total" :max="99" data-test="inbox-badge">
              <el-icon :size="20"><Bell /></el-icon>
            </el-badge>
          </router-link>
          <lang-switch />
          <el-dropdown trigger="click" @command="command">
            <span class="user-chip" data-test="user-menu"><el-avatar :size="28">{{ (session.user.name || session.user.login).slice(0, 1) }}</el-avatar><span v-if="!mobile" class="user-name">{{ session.user.name }}</span></span>
            <template #dropdown>
              <el-dropdown-menu>
                <el-dropdown-item disabled>{{ session.user.name }} ({{ session.user.login }})</el-dropdown-item>
                <el-dropdown-item command="signout" :icon="SwitchButton" divided data-test="sign-out">{{ t('menu.sign_out') }}</el-dropdown-item>
              </el-dropdown-menu>
            </template>
          </el-dropdown>
        </div>
      </header>
      <div v-if="mobile" class="top-search-row"><global-search /></div>
      <div class="shell-body">
        <aside v-if="!mobile" class="side"><side-menu /></aside>
        <el-drawer v-else v-model="menuOpen" direction="ltr" size="260px" :with-header="false" class="menu-drawer">
          <side-menu @navigate="menuOpen = false" />
        </el-drawer>
        <main class="main"><router-view :key="$route.path" /></main>
      </div>
    </div>`,
};
