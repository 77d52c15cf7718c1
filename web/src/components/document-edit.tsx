// Editing a configuration document (the settings, the health scorecard, the detection rules)
// that others may edit at the same time. The edit is made on the revision the user began from;
// when someone else saved meanwhile (412 PRECONDITION_FAILED), their document is read and the two
// changes are merged: parts only one side changed go through on their own, and where both changed
// the same part nothing is saved until the user picks theirs or mine.
import { useQuery, useQueryClient, type QueryKey, type UseQueryResult } from '@tanstack/react-query';
import { useState } from 'react';
import { api, apiRevised, ApiError, type Revised } from '../api/client';

/** One part both people changed: what it is called, and the two values in words. */
export interface Overlap {
  /** Which part: a setting's name, a measure's or a rule's key. */
  key: string;
  part: string;
  theirs: string;
  mine: string;
}

export interface DocumentMerge<T, C> {
  /** The parts `changes` (made on `base`) and `theirs` both changed, to differing values. */
  overlaps: (base: T, theirs: T, changes: C) => Overlap[];
  /** What to send to apply `changes`, made on `base`, on `onto` (base itself, or theirs). */
  body: (onto: T, changes: C, base: T) => unknown;
}

export interface DocumentEdit<T, C> {
  /** The document as it is now (live: refreshed when anyone changes it). */
  current: UseQueryResult<Revised<T>>;
  /** Marks the start of an edit: the revision it is made on. */
  begin: () => void;
  save: (changes: C) => void;
  /** After an overlap: saves the user's values over the other person's. */
  saveMine: (changes: C) => void;
  /**
   * After an overlap: takes the other person's document as the new start, and answers what the
   * user's change was made on, theirs and the parts both changed, for the editor to drop those.
   */
  keepTheirs: () => { overlaps: Overlap[]; base: T | null; theirs: T | null };
  overlaps: Overlap[] | null;
  pending: boolean;
  error: unknown;
  /** The last save went through, and nothing was changed since. */
  saved: boolean;
}

export function useDocumentEdit<T, C>(options: {
  queryKey: QueryKey;
  path: string;
  method: 'PUT' | 'PATCH';
  merge: DocumentMerge<T, C>;
  /** The document in the answer (`{ items }` answers hold a list). */
  unwrap?: (answer: unknown) => T;
  /** Also refreshed after a save (other views of the same document). */
  alsoStale?: QueryKey[];
  onSaved?: () => void;
}): DocumentEdit<T, C> {
  const { queryKey, path, method, merge } = options;
  const client = useQueryClient();
  const read = async (): Promise<Revised<T>> => {
    const answer = await apiRevised<unknown>(path);
    return {
      value: options.unwrap ? options.unwrap(answer.value) : (answer.value as T),
      revision: answer.revision,
    };
  };
  const current = useQuery({ queryKey, queryFn: read });
  const [base, setBase] = useState<Revised<T> | null>(null);
  const [theirs, setTheirs] = useState<Revised<T> | null>(null);
  const [overlaps, setOverlaps] = useState<Overlap[] | null>(null);
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState(false);

  const send = (onto: Revised<T>, changes: C, from: Revised<T>) =>
    api<unknown>(path, { method, body: merge.body(onto.value, changes, from.value), ifMatch: onto.revision });

  const saved = () => {
    setDone(true);
    setBase(null);
    setTheirs(null);
    setOverlaps(null);
    void client.invalidateQueries({ queryKey });
    for (const key of options.alsoStale ?? []) void client.invalidateQueries({ queryKey: key });
    options.onSaved?.();
  };

  const run = async (work: () => Promise<void>) => {
    setPending(true);
    setError(null);
    try {
      await work();
    } catch (failure) {
      setError(failure);
    } finally {
      setPending(false);
    }
  };

  const save = (changes: C) =>
    void run(async () => {
      const start = base ?? current.data;
      if (!start) return;
      setBase(start);
      try {
        await send(start, changes, start);
        return saved();
      } catch (failure) {
        if (!(failure instanceof ApiError) || failure.code !== 'PRECONDITION_FAILED') throw failure;
      }
      const now = await read();
      client.setQueryData(queryKey, now);
      const both = merge.overlaps(start.value, now.value, changes);
      if (both.length > 0) {
        setTheirs(now);
        setOverlaps(both);
        return;
      }
      // Only different parts changed: the user's change goes in on top of theirs.
      await send(now, changes, start);
      saved();
    });

  return {
    current,
    begin: () => {
      setDone(false);
      if (base === null && current.data) setBase(current.data);
    },
    save,
    saveMine: (changes) =>
      void run(async () => {
        if (!theirs || !base) return;
        await send(theirs, changes, base);
        saved();
      }),
    keepTheirs: () => {
      const kept = { overlaps: overlaps ?? [], base: base?.value ?? null, theirs: theirs?.value ?? null };
      setBase(theirs);
      setTheirs(null);
      setOverlaps(null);
      return kept;
    },
    overlaps,
    pending,
    error,
    saved: done,
  };
}

/** Shows the parts both people changed and the two ways on. */
export function OverlapNotice({
  what,
  overlaps,
  pending,
  onSaveMine,
  onKeepTheirs,
}: {
  what: string;
  overlaps: Overlap[];
  pending: boolean;
  onSaveMine: () => void;
  onKeepTheirs: () => void;
}) {
  return (
    <div className="notice warn" role="alert">
      <p>Someone saved the {what} while you were editing, and changed what you changed:</p>
      <table className="compact">
        <thead>
          <tr>
            <th scope="col">Setting</th>
            <th scope="col">Theirs (saved)</th>
            <th scope="col">Yours (not saved)</th>
          </tr>
        </thead>
        <tbody>
          {overlaps.map((overlap) => (
            <tr key={overlap.key}>
              <th scope="row">{overlap.part}</th>
              <td>{overlap.theirs}</td>
              <td>{overlap.mine}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="small">Your other changes are kept either way.</p>
      <div className="actions">
        <button type="button" className="primary small" disabled={pending} onClick={onSaveMine}>
          Save mine over theirs
        </button>
        <button type="button" className="small" onClick={onKeepTheirs}>
          Keep theirs
        </button>
      </div>
    </div>
  );
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * The merge of a list of items that each have a unique `key` (detection rules, KPI cards): an
 * item only one side added, changed or removed is taken from that side. The change is the whole
 * list as the user left it.
 */
export function keyedListMerge<I extends { key: string }>(
  describe: (item: I | undefined) => string,
  name: (item: I) => string = (item) => item.key,
): DocumentMerge<I[], I[]> {
  const byKey = (items: I[]) => new Map(items.map((item) => [item.key, item]));
  const changedKeys = (from: Map<string, I>, to: Map<string, I>) =>
    new Set([...from.keys(), ...to.keys()].filter((key) => !same(from.get(key), to.get(key))));
  return {
    overlaps: (base, theirs, mine) => {
      const [b, t, m] = [byKey(base), byKey(theirs), byKey(mine)];
      const theirChanges = changedKeys(b, t);
      return [...changedKeys(b, m)]
        .filter((key) => theirChanges.has(key) && !same(t.get(key), m.get(key)))
        .map((key) => {
          const item = m.get(key) ?? t.get(key) ?? b.get(key);
          return {
            key,
            part: item ? name(item) : key,
            theirs: describe(t.get(key)),
            mine: describe(m.get(key)),
          };
        });
    },
    body: (onto, mine, base) => (same(onto, base) ? mine : mergeKeyed(base, onto, mine)),
  };
}

/** Applies to `theirs` the items `mine` changed since `base`, keeping theirs for the rest. */
export function mergeKeyed<I extends { key: string }>(base: I[], theirs: I[], mine: I[]): I[] {
  const b = new Map(base.map((item) => [item.key, item]));
  const m = new Map(mine.map((item) => [item.key, item]));
  const result = theirs
    .filter((item) => !(b.has(item.key) && !m.has(item.key)))
    .map((item) =>
      m.has(item.key) && !same(m.get(item.key), b.get(item.key)) ? (m.get(item.key) as I) : item,
    );
  for (const item of mine)
    if (!b.has(item.key) && !result.some((one) => one.key === item.key)) result.push(item);
  return result;
}

/** Says that the last save went through. */
export function SavedNote({ edit }: { edit: { saved: boolean } }) {
  return edit.saved ? (
    <p className="muted small" role="status">
      Your changes are saved.
    </p>
  ) : null;
}
