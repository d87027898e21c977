// Narrow screens (phones): lists become cards, the menu a drawer, dialogs full screen.
const { ref } = Vue;

export const NARROW = 768;
const narrow = ref(window.innerWidth < NARROW);
window.addEventListener('resize', () => { narrow.value = window.innerWidth < NARROW; });

export function useMobile() { return narrow; }
