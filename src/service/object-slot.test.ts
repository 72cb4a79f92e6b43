import { describe, expect, test } from "vitest";
import { createObjectSlot } from "./object-slot.js";

describe("object slots", () => {
  test("keep a value on the object, apart from other slots and invisible to its keys and JSON", () => {
    const a = createObjectSlot<object, number>("a");
    const b = createObjectSlot<object, number>("b");
    const object = { x: 1 };
    expect(a.get(object)).toBeUndefined();
    a.set(object, 42);
    b.set(object, 7);
    expect(a.get(object)).toBe(42);
    expect(b.get(object)).toBe(7);
    expect(a.get({ x: 1 })).toBeUndefined();
    expect(Object.keys(object)).toEqual(["x"]);
    expect(JSON.stringify(object)).toBe('{"x":1}');
  });

  test("keep nothing on a frozen object", () => {
    const slot = createObjectSlot<object, string>("frozen");
    const frozen = Object.freeze({ x: 1 });
    slot.set(frozen, "value");
    expect(slot.get(frozen)).toBeUndefined();
  });
});
