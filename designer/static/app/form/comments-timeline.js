// Comments on the record, newest first, and a box to write one. Typing @ searches the directory of
// colleagues (GET /users/directory?q=); the chosen name goes into the text as @name and their id into
// the comment's mentions, and the server notifies them — or refuses, naming anyone who may not read
// the record.
import { api } from '../api.js';
import { label, t } from '../i18n.js';
import { localDateTime } from '../fields.js';
import { refreshInbox } from '../session.js';

const { ref, computed, nextTick, watch } = Vue;
const { ElMessage } = ElementPlus;

const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export function bodyParts(c) {
  const names = (c.mentions || []).map((m) => m.name).filter(Boolean);
  if (!names.length) return [{ text: c.body }];
  const tags = new Set(names.map((n) => `@${n}`));
  const re = new RegExp(`(@(?:${names.map(escape).join('|')}))`);
  return c.body.split(re).filter((x) => x !== '').map((x) => ({ text: x, mention: tags.has(x) }));
}

export default {
  name: 'CommentsTimeline',
  props: {
    app: { type: String, required: true },
    entity: { type: String, required: true },
    recordId: { type: [Number, String], required: true },
  },
  emits: ['posted'],
  setup(props, { emit }) {
    const items = ref([]);
    const total = ref(0);
    const loading = ref(false);
    const text = ref('');
    const mentions = ref([]); // [{id, name}]
    const sending = ref(false);
    const refusal = ref(null);
    const input = ref(null);
    const suggest = ref({ open: false, q: '', at: 0, items: [], index: 0 });
    const base = `/records/${props.app}/${props.entity}/${props.recordId}/comments`;

    async function load() {
      loading.value = true;
      try {
        const r = await api.get(base, { page_size: 100 });
        items.value = r.items;
        total.value = r.total;
      } finally {
        loading.value = false;
      }
    }
    load();

    const textarea = () => input.value && (input.value.textarea || input.value.$el.querySelector('textarea'));
    let asked = 0;
    async function lookup(q) {
      const mine = ++asked;
      const r = await api.get('/users/directory', { q: q || undefined, limit: 8 });
      if (mine !== asked) return;
      suggest.value = { ...suggest.value, items: r.items, index: 0 };
    }
    function typed() {
      refusal.value = null;
      const el = textarea();
      const caret = el ? el.selectionStart : text.value.length;
      const m = /(^|\s)@([^\s@]{0,20})$/.exec(text.value.slice(0, caret));
      if (!m) { suggest.value = { ...suggest.value, open: false }; return; }
      suggest.value = { ...suggest.value, open: true, q: m[2], at: caret - m[2].length - 1 };
      lookup(m[2]);
    }
    function choose(u) {
      const s = suggest.value;
      const el = textarea();
      const caret = el ? el.selectionStart : text.value.length;
      const inserted = `@${u.name} `;
      text.value = text.value.slice(0, s.at) + inserted + text.value.slice(caret);
      if (!mentions.value.some((m) => m.id === u.id)) mentions.value = [...mentions.value, { id: u.id, name: u.name }];
      suggest.value = { ...s, open: false };
      nextTick(() => {
        const e2 = textarea();
        if (e2) { e2.focus(); e2.selectionStart = e2.selectionEnd = s.at + inserted.length; }
      });
    }
    function key(e) {
      const s = suggest.value;
      if (!s.open || !s.items.length) return;
      if (e.key === 'ArrowDown') { e.preventDefault(); s.index = (s.index + 1) % s.items.length; }
      else if (e.key === 'ArrowUp') { e.preventDefault(); s.index = (s.index + s.items.length - 1) % s.items.length; }
      else if (e.key === 'Enter') { e.preventDefault(); choose(s.items[s.index]); }
      else if (e.key === 'Escape') { suggest.value = { ...s, open: false }; }
    }
    // a mention whose @name was deleted from the text is no mention
    const kept = computed(() => mentions.value.filter((m) => text.value.includes(`@${m.name}`)));

    async function send() {
      if (!text.value.trim() || sending.value) return;
      sending.value = true;
      refusal.value = null;
      try {
        const c = await api.post(base, { body: text.value, mentions: kept.value.map((m) => m.id) });
        text.value = '';
        mentions.value = [];
        ElMessage.success(c.mentions.length ? t('comments.mentioned', { names: c.mentions.map((m) => m.name).join('、') }) : t('comments.sent'));
        await load();
        refreshInbox();
        emit('posted', c);
      } catch (e) {
        refusal.value = e;
      } finally {
        sending.value = false;
      }
    }
    watch(text, (v) => { if (!v) suggest.value = { ...suggest.value, open: false }; });
    return { items, total, loading, text, sending, refusal, input, suggest, typed, choose, key, send, kept, bodyParts, localDateTime, label };
  },
  template: `
    <div class="comments" data-test="comments">
      <div class="comment-compose">
        <div class="mention-anchor">
          <el-input ref="input" v-model="text" type="textarea" :autosize="{ minRows: 2, maxRows: 8 }" maxlength="5000"
                    :placeholder="t('comments.placeholder')" data-test="comment-input" @input="typed" @click="typed"
                    @keydown="key" @blur="suggest.open = false" />
          <div v-if="suggest.open" class="mention-list" data-test="mention-list" role="listbox">
            <div v-if="!suggest.items.length" class="mention-none muted">{{ t('comments.mention_none') }}</div>
            <div v-for="(u, i) in suggest.items" :key="u.id" class="mention-item" :class="{ active: i === suggest.index }"
                 role="option" :data-login="u.login" @mousedown.prevent="choose(u)">
              <span>{{ u.name }}</span><span class="muted">{{ u.login }}<template v-if="u.department"> · {{ u.department }}</template></span>
            </div>
          </div>
        </div>
        <el-alert v-if="refusal" type="error" :closable="false" class="comment-refusal" data-test="comment-refusal"
                  :title="label(refusal.message)" />
        <div class="comment-actions">
          <span class="muted"><template v-for="m in kept" :key="m.id">@{{ m.name }} </template></span>
          <el-button type="primary" size="small" :loading="sending" :disabled="!text.trim()" data-test="comment-send" @click="send">{{ t('comments.send') }}</el-button>
        </div>
      </div>
      <div v-loading="loading">
        <el-empty v-if="!loading && !items.length" :description="t('comments.empty')" :image-size="60" />
        <el-timeline v-else>
          <el-timeline-item v-for="c in items" :key="c.id" :timestamp="localDateTime(c.created_at)" placement="top" class="comment-item" :data-id="c.id">
            <div class="comment-author">{{ c.author.name }}</div>
            <div class="comment-body"><template v-for="(p, i) in bodyParts(c)" :key="i"><span v-if="p.mention" class="mention">{{ p.text }}</span><template v-else>{{ p.text }}</template></template></div>
          </el-timeline-item>
        </el-timeline>
      </div>
    </div>`,
};
