// Live linkage: after each change (debounced ~300 ms) the form's values go to the form-state
// endpoint — the save's own pipeline run without saving — and its answer (computed values, flags,
// options, picker filters, messages) comes back to the form. An answer to values the user has
// changed since is dropped: a newer request is already on its way.
import { api } from '../api.js';

const { ref, onBeforeUnmount } = Vue;
export const DEBOUNCE_MS = 300;

export function useFormState({ app, entity, recordId, values, onAnswer, onFailure }) {
  let timer = null;
  let edits = 0;
  let asked = 0;
  const busy = ref(false);

  async function run() {
    timer = null;
    const mine = edits;
    const ask = ++asked;
    busy.value = true;
    const body = { values: values() };
    if (recordId()) body.id = recordId();
    try {
      const answer = await api.post(`/records/${app}/${entity}/form-state`, body);
      if (mine === edits && ask === asked) onAnswer(answer);
    } catch (e) {
      if (ask === asked) onFailure(e);
    } finally {
      if (ask === asked && !timer) busy.value = false;
    }
  }

  function changed() {
    edits += 1;
    busy.value = true;
    clearTimeout(timer);
    timer = setTimeout(run, DEBOUNCE_MS);
  }

  function now() {
    clearTimeout(timer);
    return run();
  }

  function stop() {
    clearTimeout(timer);
    timer = null;
    asked += 1; // an answer still on its way is not wanted any more
    busy.value = false;
  }

  onBeforeUnmount(stop);
  return { changed, now, stop, busy };
}
