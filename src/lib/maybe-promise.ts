/**
 * Hands `value` to `use` at once when it is already there, or once its promise settles: the
 * request path's lookups answer from a cache as plain values, and awaiting those would cost
 * every request a turn of the microtask queue. Undefined (nothing to await) in the first case.
 */
export function whenReady<T>(value: T | Promise<T>, use: (value: T) => void): Promise<void> | undefined {
  if (value instanceof Promise) return value.then(use);
  use(value);
  return undefined;
}
