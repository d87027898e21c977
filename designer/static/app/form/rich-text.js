// Rich text: an editable box with a few buttons (bold, italic, underline, list, link). The HTML it
// sends is sanitised by the server (scripts and event handlers never survive a save).
import { t } from '../i18n.js';

const { ref, onMounted, watch } = Vue;
const { Link, List } = ElementPlusIconsVue;

export default {
  name: 'RichText',
  props: {
    modelValue: { default: null },
    disabled: { type: Boolean, default: false },
  },
  emits: ['update:modelValue'],
  setup(props, { emit }) {
    const box = ref(null);
    const focused = ref(false);
    const html = () => {
      const empty = !box.value.textContent.trim() && !box.value.querySelector('img');
      return empty ? '' : box.value.innerHTML;
    };
    onMounted(() => { box.value.innerHTML = props.modelValue || ''; });
    // a value from outside (a reload) replaces the content, never while the user is typing in it
    watch(() => props.modelValue, (v) => {
      if (box.value && !focused.value && (v || '') !== box.value.innerHTML) box.value.innerHTML = v || '';
    });
    function changed() {
      const v = html() || null;
      if (v !== (props.modelValue || null)) emit('update:modelValue', v);
    }
    function run(command, arg) {
      if (props.disabled) return;
      box.value.focus();
      if (command === 'createLink') {
        arg = window.prompt(t('form.rich.link_prompt'), 'https://');
        if (!arg) return;
      }
      document.execCommand(command, false, arg);
      changed();
    }
    const buttons = [
      { cmd: 'bold', text: 'B', title: 'form.rich.bold', cls: 'b' },
      { cmd: 'italic', text: 'I', title: 'form.rich.italic', cls: 'i' },
      { cmd: 'underline', text: 'U', title: 'form.rich.underline', cls: 'u' },
      { cmd: 'insertUnorderedList', icon: List, title: 'form.rich.list', cls: 'l' },
      { cmd: 'createLink', icon: Link, title: 'form.rich.link', cls: 'a' },
      { cmd: 'removeFormat', text: '⌫', title: 'form.rich.clear', cls: 'x' },
    ];
    return { box, focused, changed, run, buttons };
  },
  template: `
    <div class="rich-text" :class="{ disabled }">
      <div class="rich-toolbar" role="toolbar">
        <button v-for="b in buttons" :key="b.cmd" type="button" :class="'rich-btn rich-' + b.cls" :title="t(b.title)"
                :aria-label="t(b.title)" :disabled="disabled" @mousedown.prevent @click="run(b.cmd)">
          <el-icon v-if="b.icon"><component :is="b.icon" /></el-icon><template v-else>{{ b.text }}</template></button>
      </div>
      <div ref="box" class="rich-box" :contenteditable="disabled ? 'false' : 'true'" role="textbox" aria-multiline="true"
           @input="changed" @focus="focused = true" @blur="focused = false; changed()"></div>
    </div>`,
};
