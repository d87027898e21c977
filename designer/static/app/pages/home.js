// The app home: what waits in the inbox, and per installed app its entities.
import { session } from '../session.js';
import { label } from '../i18n.js';
import { inboxRoute, listRoute } from '../links.js';

const { computed } = Vue;
const BUILT_IN = ['todos', 'notifications'];

export default {
  name: 'HomePage',
  setup() {
    const apps = computed(() => session.apps.map((a) => ({ ...a, entities: a.entities.filter((e) => e.actions.read) }))
      .filter((a) => a.entities.length));
    // the kinds engines add to the inbox (approvals, reviews…), after the built-in two
    const extra = computed(() => (session.inbox.sources || []).filter((s) => !BUILT_IN.includes(s.kind)));
    return { session, apps, extra, label, inboxRoute, listRoute };
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
        <router-link v-for="s in extra" :key="s.kind" :to="inboxRoute(s.kind)" class="tile" :data-test="'tile-' + s.kind">
          <span class="tile-n">{{ s.count }}</span><span>{{ label(s.label, s.kind) }}</span>
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
