import { useCallback, useEffect, useRef, useState } from 'react';
import { asApiError, type ApiError } from './api.ts';

export interface Async<T> {
  data: T | undefined;
  error: ApiError | undefined;
  loading: boolean;
  reload: () => void;
  setData: (update: T | ((prev: T | undefined) => T)) => void;
}

/** Loads on mount and whenever `deps` change; a newer load wins over an older one. */
export function useAsync<T>(load: (signal: AbortSignal) => Promise<T>, deps: readonly unknown[]): Async<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const [loading, setLoading] = useState(true);
  const [version, setVersion] = useState(0);
  useEffect(() => {
    const controller = new AbortController();
    setLoading(true);
    setError(undefined);
    load(controller.signal).then(
      (d) => {
        if (controller.signal.aborted) return;
        setData(d);
        setLoading(false);
      },
      (err: unknown) => {
        if (controller.signal.aborted) return;
        setError(asApiError(err));
        setLoading(false);
      },
    );
    return () => controller.abort();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, version]);
  const reload = useCallback(() => setVersion((v) => v + 1), []);
  return { data, error, loading, reload, setData: setData as Async<T>['setData'] };
}

/** An action with a busy flag and its last error (cleared on the next run). */
export function useAction<A extends unknown[], R>(fn: (...args: A) => Promise<R>) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const ref = useRef(fn);
  ref.current = fn;
  const run = useCallback(async (...args: A): Promise<R | undefined> => {
    setBusy(true);
    setError(undefined);
    try {
      return await ref.current(...args);
    } catch (err) {
      setError(asApiError(err));
      return undefined;
    } finally {
      setBusy(false);
    }
  }, []);
  return { run, busy, error, clearError: () => setError(undefined) };
}

/** Runs `fn` once per key for the page's lifetime (single-use tokens must not be sent twice). */
const onceResults = new Map<string, Promise<unknown>>();
export function once<T>(key: string, fn: () => Promise<T>): Promise<T> {
  let p = onceResults.get(key) as Promise<T> | undefined;
  if (!p) onceResults.set(key, (p = fn()));
  return p;
}

export function useDebounced<T>(value: T, ms: number): T {
  const [v, setV] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setV(value), ms);
    return () => clearTimeout(t);
  }, [value, ms]);
  return v;
}

export interface Paged<T> {
  items: T[];
  error: ApiError | undefined;
  loading: boolean;
  hasMore: boolean;
  loadMore: () => void;
  reload: () => void;
}

/** A cursor-paged list: the first page on mount / when `deps` change, more on demand. */
export function usePaged<T>(load: (cursor: string | undefined, signal: AbortSignal) => Promise<{ data: T[]; nextCursor: string | null }>, deps: readonly unknown[]): Paged<T> {
  const [items, setItems] = useState<T[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  const [loading, setLoading] = useState(true);
  const [version, setVersion] = useState(0);
  const controller = useRef<AbortController | null>(null);
  const loadRef = useRef(load);
  loadRef.current = load;

  const fetchPage = useCallback((after: string | undefined) => {
    controller.current?.abort();
    const c = new AbortController();
    controller.current = c;
    setLoading(true);
    setError(undefined);
    loadRef.current(after, c.signal).then(
      (page) => {
        if (c.signal.aborted) return;
        setItems((prev) => (after ? [...prev, ...page.data] : page.data));
        setCursor(page.nextCursor);
        setLoading(false);
      },
      (err: unknown) => {
        if (c.signal.aborted) return;
        setError(asApiError(err));
        setLoading(false);
      },
    );
  }, []);

  useEffect(() => {
    fetchPage(undefined);
    return () => controller.current?.abort();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, version]);

  return {
    items,
    error,
    loading,
    hasMore: cursor !== null,
    loadMore: () => {
      if (cursor && !loading) fetchPage(cursor);
    },
    reload: () => setVersion((v) => v + 1),
  };
}
