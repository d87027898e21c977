// The routes (hash history: the server serves one page at /). A module adds pages by appending to
// shellRoutes (inside the signed-in layout) or publicRoutes before main.js creates the router.
// Reserved for the record form and kanban helper: record, record-new and kanban (pages/record.js,
// pages/kanban.js are placeholders it replaces).
import LoginPage from './pages/login.js';
import ShellPage from './pages/shell.js';
import HomePage from './pages/home.js';
import ListPage from './pages/list.js';
import InboxPage from './pages/inbox.js';
import RecordPage from './pages/record.js';
import KanbanPage from './pages/kanban.js';
import { restore } from './session.js';

const { createRouter, createWebHashHistory } = VueRouter;

export const publicRoutes = [
  { path: '/login', name: 'login', component: LoginPage },
];

export const shellRoutes = [
  { path: '', name: 'home', component: HomePage },
  { path: 'l/:app/:entity', name: 'list', component: ListPage },
  { path: 'inbox', name: 'inbox', component: InboxPage },
  { path: 'r/:app/:entity/new', name: 'record-new', component: RecordPage },
  { path: 'r/:app/:entity/:id(\\d+)', name: 'record', component: RecordPage },
  { path: 'k/:app/:entity/:field', name: 'kanban', component: KanbanPage },
];

export function makeRouter() {
  const router = createRouter({
    history: createWebHashHistory(),
    routes: [
      ...publicRoutes.map((r) => ({ ...r, meta: { ...(r.meta || {}), public: true } })),
      { path: '/', component: ShellPage, children: shellRoutes },
      { path: '/:rest(.*)*', redirect: '/' },
    ],
  });
  router.beforeEach(async (to) => {
    if (to.meta.public) return true;
    if (await restore()) return true;
    return { name: 'login', query: to.fullPath !== '/' ? { next: to.fullPath } : {} };
  });
  return router;
}
