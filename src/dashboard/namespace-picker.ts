const STORAGE_KEY = "pynenc-status.namespaces";
const REMEMBERED = 20;

/**
 * The namespace picker: a text field suggesting the namespaces this browser has shown before
 * (kept in localStorage). `onPick` is called with a namespace typed or chosen.
 */
export function bindNamespacePicker(
  input: HTMLInputElement,
  list: HTMLDataListElement,
  onPick: (namespace: string) => void,
) {
  const remembered = (): string[] => {
    try {
      const value = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? "[]") as unknown;
      return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
    } catch {
      return [];
    }
  };
  const suggest = () => {
    list.replaceChildren(
      ...remembered().map((namespace) => {
        const option = document.createElement("option");
        option.value = namespace;
        return option;
      }),
    );
  };
  input.addEventListener("change", () => onPick(input.value.trim()));
  suggest();
  return {
    /** Show `namespace` as the current one, and remember it. */
    show(namespace: string) {
      input.value = namespace;
      if (namespace === "") return;
      const names = [namespace, ...remembered().filter((n) => n !== namespace)].slice(0, REMEMBERED);
      try {
        localStorage.setItem(STORAGE_KEY, JSON.stringify(names));
      } catch {
        // Storage may be off (private windows): the picker still works, it just forgets.
      }
      suggest();
    },
  };
}
