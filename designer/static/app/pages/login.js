// Sign in with a login and a password; the error the server gives is shown; the language can be
// switched before signing in (and is then saved for the account).
import { signIn } from '../session.js';
import { label } from '../i18n.js';
import LangSwitch from '../components/lang-switch.js';

const { ref, reactive } = Vue;
const { useRoute, useRouter } = VueRouter;
const { User, Lock } = ElementPlusIconsVue;

export default {
  name: 'LoginPage',
  components: { LangSwitch },
  setup() {
    const route = useRoute();
    const router = useRouter();
    const form = reactive({ login: '', password: '' });
    const error = ref(null);
    const busy = ref(false);
    async function submit() {
      error.value = null;
      if (!form.login || !form.password) { error.value = { message: { zh: '请填写登录名和密码', en: 'give a login and a password' } }; return; }
      busy.value = true;
      try {
        await signIn(form.login.trim(), form.password);
        const next = typeof route.query.next === 'string' && route.query.next.startsWith('/') ? route.query.next : '/';
        router.replace(next);
      } catch (e) {
        error.value = e;
      } finally {
        busy.value = false;
      }
    }
    return { form, error, busy, submit, label, User, Lock };
  },
  template: `
    <div class="login-page">
      <div class="login-lang"><lang-switch /></div>
      <el-card class="login-card" shadow="always">
        <div class="login-brand"><img src="/static/app/favicon.svg" alt="" /><div><h1>{{ t('app.name') }}</h1><p class="muted">{{ t('app.tagline') }}</p></div></div>
        <el-form @submit.prevent="submit" label-position="top">
          <el-form-item :label="t('login.login')">
            <el-input v-model="form.login" :prefix-icon="User" autocomplete="username" data-test="login" name="login" />
          </el-form-item>
          <el-form-item :label="t('login.password')">
            <el-input v-model="form.password" :prefix-icon="Lock" type="password" show-password autocomplete="current-password"
                      data-test="password" name="password" @keyup.enter="submit" />
          </el-form-item>
          <el-alert v-if="error" type="error" :title="label(error.message)" :closable="false" show-icon class="login-error" data-test="login-error" />
          <el-button type="primary" native-type="submit" :loading="busy" class="login-submit" data-test="submit">{{ t('login.submit') }}</el-button>
        </el-form>
      </el-card>
    </div>`,
};
