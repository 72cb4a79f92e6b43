/** Attributes of element(): `class`, `data-*`, `href` ...; undefined ones are left out. */
export type Attributes = Record<string, string | undefined>;

/** Create an HTML element with attributes and children (strings become text, never markup). */
export function element<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Attributes = {},
  ...children: Array<Node | string>
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value !== undefined) node.setAttribute(name, value);
  }
  node.append(...children);
  return node;
}
