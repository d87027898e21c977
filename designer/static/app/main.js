// Starts the web app: Vue with Element Plus in the user's language, the router, the shared texts.
import { makeRouter } from './router.js';
import { elementLocale, label, t } from './i18n.js';
import { onUnauthorized } from './api.js';
import { forget, session } from './session.js';

const { createApp } = Vue;

const Root = {
  setup() { return { elementLocale }; },
  template: `<el-config-provider :locale="elementLocale"><router-view /></el-config-provider>`,
};

const app = createApp(Root);
const router = makeRouter();
app.config.globalProperties.t = t; // every template may use t('key') and label({zh, en})
app.config.globalProperties.label = label;
app.use(ElementPlus);
app.use(router);

onUnauthorized(() => {
  if (!session.user) return;
  forget(); // the session ended (expired, signed out elsewhere): back to the sign-in page
  const here = router.currentRoute.value;
  if (!here.meta.public) router.replace({ name: 'login', query: { next: here.fullPath } });
});

app.mount('#app');
