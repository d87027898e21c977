// 中文 / English: switches at once; signed in, the choice is saved with the account.
import { lang } from '../i18n.js';
import { chooseLanguage } from '../session.js';

const { ElMessage } = ElementPlus;

export default {
  name: 'LangSwitch',
  setup() {
    async function choose(v) {
      try { await chooseLanguage(v); } catch (e) { ElMessage.error(e.message.en || String(e)); }
    }
    return { lang, choose };
  },
  template: `
    <el-dropdown trigger="click" @command="choose">
      <el-button class="lang-switch" link data-test="lang-switch">{{ lang === 'zh' ? '中文' : 'EN' }}</el-button>
      <template #dropdown>
        <el-dropdown-menu>
          <el-dropdown-item command="zh" data-test="lang-zh">中文</el-dropdown-item>
          <el-dropdown-item command="en" data-test="lang-en">English</el-dropdown-item>
        </el-dropdown-menu>
      </template>
    </el-dropdown>`,
};
