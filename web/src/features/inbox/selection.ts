import { create } from "zustand";

type SelectionState = {
  /** The row the keyboard points at. */
  cursor: string | null;
  selected: Set<string>;
  setCursor(id: string | null): void;
  toggle(id: string): void;
  setSelected(ids: Iterable<string>): void;
  clear(): void;
};

/** Inbox cursor and multi-selection: client state, kept apart from server state. */
export const useSelection = create<SelectionState>((set) => ({
  cursor: null,
  selected: new Set(),
  setCursor: (cursor) => set({ cursor }),
  toggle: (id) =>
    set((s) => {
      const selected = new Set(s.selected);
      if (selected.has(id)) selected.delete(id);
      else selected.add(id);
      return { selected };
    }),
  setSelected: (ids) => set({ selected: new Set(ids) }),
  clear: () => set({ selected: new Set() }),
}));
