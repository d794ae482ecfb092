// The JSON of objects that never change once made.
const serialized = new WeakMap<object, string>();

/**
 * Marks `data` as never changing and keeps its JSON, so the response envelope is written
 * around the saved text instead of serialising the object again (src/http/envelope.ts). For
 * presentations cached per row (the user of `GET /v1/me`, the key of `GET …/keys/current`),
 * answered on every request: serialising them was the largest single cost of those responses.
 * Frozen (at its top level), so a change that would make the saved text wrong fails loudly.
 */
export function serializeOnce<T extends object>(data: T): T {
  if (!serialized.has(data)) serialized.set(Object.freeze(data), JSON.stringify(data));
  return data;
}

/** The JSON `serializeOnce` kept for `data`, if any. */
export function serializedJson(data: unknown): string | undefined {
  return typeof data === 'object' && data !== null ? serialized.get(data) : undefined;
}
