// The app home: what waits in the inbox, and per installed app its entities.
import { session } from '../session.js';
import { label } from '../i18n.js';
import { inboxRoute, listRoute } from '../links.js';

const { computed } = Vue;

export default {
  name: 'HomePage',
  setup() {
    const apps = computed(() => session.apps.map((a) => ({ ...a, entities: a.entities.filter((e) => e.actions.read) }))
      .filter((a) => a.entities.length));
    return { session, apps, label, inboxRoute, listRoute };
  },
  template: `
    <div class="home-page">
      <h2 class="page-title">{{ t('home.hello', { name: session.user.name }) }}</h2>
      <div class="inbox-tiles">
        <router-link :to="inboxRoute('todos')" class="tile" data-test="tile-todos">
          <span class="tile-n">{{ session.inbox.counts.todos }}</span><span>{{ t('inbox.todos') }}</span>
        </router-link>
        <router-link :to="inboxRoute('notifications')" class="tile" data-test="tile-notifications">
          <span class="tile-n">{{ session.inbox.counts.notifications }}</span><span>{{ t('inbox.unread') }}</span>
        </router-link>
      </div>
      <el-empty v-if="!apps.length" :description="t('home.no_apps')" />
      <section v-for="a in apps" :key="a.name" class="app-card" :data-app="a.name">
        <h3>{{ label(a.label, a.name) }}</h3>
        <div class="entity-tiles">
          <router-link v-for="e in a.entities" :key="e.name" :to="listRoute(a.name, e.name)" class="entity-tile" :data-entity="e.name">
            {{ label(e.label, e.name) }}
          </router-link>
        </div>
      </section>
    </div>`,
};
