// Chinese and English: the current language (reactive), t(key) for the app's own texts and
// label(obj) for the {zh, en} texts that come from definitions and the API. The browser's language
// decides until the user chooses; a signed-in user's choice is saved with their account.
import { messages } from './messages.js';

const { ref, computed } = Vue;
const STORE = 'jimu.lang';
export const LANGUAGES = ['zh', 'en'];

function initial() {
  const saved = localStorage.getItem(STORE);
  if (LANGUAGES.includes(saved)) return saved;
  const browser = (navigator.languages && navigator.languages[0]) || navigator.language || 'zh';
  return browser.toLowerCase().startsWith('zh') ? 'zh' : 'en';
}

export const lang = ref(initial());
document.documentElement.lang = lang.value === 'zh' ? 'zh-CN' : 'en';

export function setLanguage(value) {
  if (!LANGUAGES.includes(value)) return;
  lang.value = value;
  localStorage.setItem(STORE, value);
  document.documentElement.lang = value === 'zh' ? 'zh-CN' : 'en';
}

// more texts: addMessages({zh: {key: '…'}, en: {key: '…'}}) — pages of other modules bring their own
export function addMessages(more) {
  for (const l of LANGUAGES) Object.assign(messages[l], (more && more[l]) || {});
}

export function t(key, params) {
  const text = messages[lang.value][key] ?? messages.zh[key] ?? key;
  return params ? text.replace(/\{(\w+)\}/g, (_, k) => (params[k] ?? '')) : text;
}

// a {zh, en} text in the current language, else the other one, else fallback
export function label(obj, fallback = '') {
  if (obj === null || obj === undefined) return fallback;
  if (typeof obj === 'string') return obj;
  const other = lang.value === 'zh' ? 'en' : 'zh';
  return obj[lang.value] || obj[other] || fallback;
}

// Element Plus's own texts (pagination, date pickers) follow the language too
export const elementLocale = computed(() => (lang.value === 'zh' ? window.ElementPlusLocaleZhCn : window.ElementPlusLocaleEn));
