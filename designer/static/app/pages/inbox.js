// The inbox: to-dos assigned to the user (mark done) and their notifications (mark read), then one tab
// per kind an engine adds (its latest items, under the kind's own label), with links to the records
// they are about; the header's counts follow every change.
import { api } from '../api.js';
import { label } from '../i18n.js';
import { localDateTime } from '../fields.js';
import { recordRoute } from '../links.js';
import { refreshInbox, session } from '../session.js';

const { computed, ref, watch } = Vue;
const BUILT_IN = ['todos', 'notifications'];
const { useRoute, useRouter } = VueRouter;
const { ElMessage } = ElementPlus;

export default {
  name: 'InboxPage',
  setup() {
    const route = useRoute();
    const router = useRouter();
    const tab = ref(typeof route.query.tab === 'string' && route.query.tab ? route.query.tab : 'todos');
    const extra = computed(() => (session.inbox.sources || []).filter((s) => !BUILT_IN.includes(s.kind)));
    const itemsOf = (kind) => (session.inbox.latest && session.inbox.latest[kind]) || [];
    const showDone = ref(false);
    const todos = ref([]);
    const notes = ref([]);
    const loading = ref(false);
    const fail = (e) => ElMessage.error(label(e.message));
    async function load() {
      loading.value = true;
      try {
        const [td, nt] = await Promise.all([
          api.get('/todos', { scope: 'assigned', state: showDone.value ? 'any' : 'open', page_size: 100 }),
          api.get('/notifications', { page_size: 100 }),
        ]);
        todos.value = td.items;
        notes.value = nt.items;
      } catch (e) { fail(e); } finally { loading.value = false; }
    }
    async function act(path) {
      try { await api.post(path); await Promise.all([load(), refreshInbox()]); } catch (e) { fail(e); }
    }
    watch(showDone, load);
    watch(tab, (v) => router.replace({ query: { tab: v } }));
    load();
    return { tab, showDone, todos, notes, loading, session, extra, itemsOf, act, localDateTime, recordRoute, label };
  },
  template: `
    <div class="inbox-page" v-loading="loading">
      <h2 class="page-title">{{ t('menu.inbox') }}</h2>
      <el-tabs v-model="tab">
        <el-tab-pane name="todos">
          <template #label><span data-test="tab-todos">{{ t('inbox.todos') }} <el-badge :value="session.inbox.counts.todos" :hidden="!session.inbox.counts.todos" type="primary" /></span></template>
          <el-checkbox v-model="showDone">{{ t('inbox.show_done') }}</el-checkbox>
          <el-empty v-if="!todos.length" :description="t('inbox.no_todos')" :image-size="80" />
          <div v-for="td in todos" :key="td.id" class="inbox-item" :class="{ done: td.done }" :data-todo="td.id">
            <div class="inbox-main">
              <div class="inbox-title">{{ td.title }}</div>
              <div class="muted inbox-meta">
                <span v-if="td.due_at">{{ t('inbox.due', { at: localDateTime(td.due_at) }) }}</span>
                <router-link v-if="td.link" :to="recordRoute(td.link.app, td.link.entity, td.link.record_id)" class="inbox-record">{{ td.link.title }}</router-link>
              </div>
              <div v-if="td.description" class="inbox-desc">{{ td.description }}</div>
            </div>
            <el-button v-if="!td.done" size="small" type="success" plain data-test="todo-done" @click="act('/todos/' + td.id + '/done')">{{ t('inbox.mark_done') }}</el-button>
            <el-button v-else size="small" data-test="todo-reopen" @click="act('/todos/' + td.id + '/undone')">{{ t('inbox.reopen') }}</el-button>
          </div>
        </el-tab-pane>
        <el-tab-pane name="notifications">
          <template #label><span data-test="tab-notifications">{{ t('inbox.notifications') }} <el-badge :value="session.inbox.counts.notifications" :hidden="!session.inbox.counts.notifications" /></span></template>
          <el-button v-if="session.inbox.counts.notifications" size="small" data-test="read-all" @click="act('/notifications/read-all')">{{ t('inbox.read_all') }}</el-button>
          <el-empty v-if="!notes.length" :description="t('inbox.no_notifications')" :image-size="80" />
          <div v-for="n in notes" :key="n.id" class="inbox-item" :class="{ unread: !n.read_at }" :data-notification="n.id">
            <div class="inbox-main">
              <div class="inbox-title">{{ n.title }}</div>
              <div class="muted inbox-meta">
                <span>{{ localDateTime(n.created_at) }}</span>
                <router-link v-if="n.link" :to="recordRoute(n.link.app, n.link.entity, n.link.record_id)" class="inbox-record">{{ n.link.title }}</router-link>
              </div>
              <div v-if="n.body" class="inbox-desc">{{ n.body }}</div>
            </div>
            <el-button v-if="!n.read_at" size="small" data-test="mark-read" @click="act('/notifications/' + n.id + '/read')">{{ t('inbox.mark_read') }}</el-button>
          </div>
        </el-tab-pane>
        <el-tab-pane v-for="s in extra" :key="s.kind" :name="s.kind">
          <template #label><span :data-test="'tab-' + s.kind">{{ label(s.label, s.kind) }} <el-badge :value="s.count" :hidden="!s.count" /></span></template>
          <el-empty v-if="!itemsOf(s.kind).length" :description="t('inbox.nothing')" :image-size="80" />
          <div v-for="it in itemsOf(s.kind)" :key="it.id" class="inbox-item" :data-kind="s.kind" :data-item="it.id">
            <div class="inbox-main">
              <div class="inbox-title">{{ label(it.title) }}</div>
              <div class="muted inbox-meta">
                <span v-if="it.at">{{ localDateTime(it.at) }}</span>
                <router-link v-if="it.link" :to="recordRoute(it.link.app, it.link.entity, it.link.record_id)" class="inbox-record">{{ it.link.title }}</router-link>
              </div>
              <div v-if="it.body" class="inbox-desc">{{ label(it.body) }}</div>
            </div>
          </div>
          <div v-if="s.count > itemsOf(s.kind).length" class="muted">{{ t('inbox.more', { n: s.count - itemsOf(s.kind).length }) }}</div>
        </el-tab-pane>
      </el-tabs>
    </div>`,
};
