// One record on the kanban board: its title (opens the record), a few of its fields, and a menu to
// move it (the way to move a card without dragging: phones, keyboards).
import CellValue from '../components/cell-value.js';
import { isBlank } from '../fields.js';
import { label } from '../i18n.js';

const { MoreFilled } = ElementPlusIconsVue;

export default {
  name: 'KanbanCard',
  components: { CellValue },
  props: {
    card: { type: Object, required: true },
    fields: { type: Array, required: true },
    moves: { type: Array, default: () => [] }, // [{value, label}] this card may be moved to
    color: { type: String, default: null },
    movable: { type: Boolean, default: true },
  },
  emits: ['open', 'move', 'dragstart', 'dragend'],
  setup() {
    return { isBlank, label, MoreFilled };
  },
  template: `
    <div class="kanban-card" :data-id="card.id" :draggable="movable ? 'true' : 'false'" :style="color ? { borderLeftColor: color } : {}"
         :class="{ moving: card._moving }" @dragstart="$emit('dragstart', $event)" @dragend="$emit('dragend', $event)">
      <div class="kanban-card-top">
        <a class="kanban-card-title" href="" @click.prevent="$emit('open')">{{ card.title || ('#' + card.id) }}</a>
        <el-dropdown v-if="moves.length" trigger="click" @command="(v) => $emit('move', v)">
          <el-button link :icon="MoreFilled" size="small" :aria-label="t('kanban.move_to')" data-test="card-menu" @click.stop />
          <template #dropdown>
            <el-dropdown-menu>
              <el-dropdown-item disabled>{{ t('kanban.move_to') }}</el-dropdown-item>
              <el-dropdown-item v-for="m in moves" :key="m.value" :command="m.value" :data-move="m.value">{{ m.label }}</el-dropdown-item>
            </el-dropdown-menu>
          </template>
        </el-dropdown>
      </div>
      <dl class="kanban-card-fields">
        <template v-for="f in fields" :key="f.name">
          <div v-if="!isBlank(card[f.name])"><dt>{{ label(f.label, f.name) }}</dt><dd><cell-value :field="f" :value="card[f.name]" /></dd></div>
        </template>
      </dl>
    </div>`,
};
