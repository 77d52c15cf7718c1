// A change to one part of a record, made against what the user saw of that part. When someone
// else changed the record meanwhile (409 VERSION_CONFLICT), the current record is read: if the
// part the user changed is as they saw it, the change goes through on the new version; if not,
// nothing is saved and the user is shown their value and the other person's, to choose.
import { useRef, useState } from 'react';
import { ApiError } from '../api/client';

export interface Conflict<V> {
  mine: V;
  theirs: V;
  version: number;
}

interface Guarded<R, V> {
  /** Sends `mine`, made on the record as it was shown (`seen`). */
  send: (mine: V, seen: R) => void;
  conflict: Conflict<V> | null;
  /** After a conflict: saves the user's value over the other person's. */
  saveMine: () => void;
  /** After a conflict: keeps the other person's value. */
  keepTheirs: () => void;
  pending: boolean;
  error: unknown;
}

export function useGuardedChange<R extends { version: number }, V>(options: {
  part: (record: R) => V;
  write: (mine: V, version: number) => Promise<R>;
  read: () => Promise<R>;
  saved: (record: R) => void;
  same?: (a: V, b: V) => boolean;
}): Guarded<R, V> {
  const { part, write, read, saved } = options;
  const same = options.same ?? ((a: V, b: V) => JSON.stringify(a) === JSON.stringify(b));
  const [conflict, setConflict] = useState<Conflict<V> | null>(null);
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<unknown>(null);
  // One change at a time: a control can report one choice twice before it is disabled.
  const busy = useRef(false);

  const attempt = async (mine: V, seen: V, version: number) => {
    if (busy.current) return;
    busy.current = true;
    setPending(true);
    setError(null);
    try {
      // Two rounds at most: a second conflict in a row is shown, not retried again.
      for (let round = 0; ; round += 1) {
        try {
          saved(await write(mine, version));
          setConflict(null);
          return;
        } catch (failure) {
          if (!(failure instanceof ApiError) || failure.code !== 'VERSION_CONFLICT') throw failure;
          const current = await read();
          saved(current);
          // What is there now is what the user chose: nothing to ask.
          if (same(part(current), mine)) {
            setConflict(null);
            return;
          }
          if (round > 0 || !same(part(current), seen)) {
            setConflict({ mine, theirs: part(current), version: current.version });
            return;
          }
          version = current.version;
        }
      }
    } catch (failure) {
      setError(failure);
    } finally {
      busy.current = false;
      setPending(false);
    }
  };

  return {
    send: (mine, seen) => void attempt(mine, part(seen), seen.version),
    conflict,
    saveMine: () => {
      if (conflict) void attempt(conflict.mine, conflict.theirs, conflict.version);
    },
    keepTheirs: () => setConflict(null),
    pending,
    error,
  };
}

/** What a conflict shows: the other person's value and the user's, and the two ways on. */
export function ConflictNotice<V>({
  what,
  conflict,
  describe,
  onSaveMine,
  onKeepTheirs,
  pending,
}: {
  what: string;
  conflict: Conflict<V>;
  describe: (value: V) => string;
  onSaveMine: () => void;
  onKeepTheirs: () => void;
  pending: boolean;
}) {
  return (
    <div className="notice warn" role="alert">
      <p>
        Someone changed the {what} while you were deciding: it is now{' '}
        <strong>{describe(conflict.theirs)}</strong>. Yours, <strong>{describe(conflict.mine)}</strong>, was
        not saved.
      </p>
      <div className="actions">
        <button type="button" className="primary small" disabled={pending} onClick={onSaveMine}>
          Use mine: {describe(conflict.mine)}
        </button>
        <button type="button" className="small" onClick={onKeepTheirs}>
          Keep theirs
        </button>
      </div>
    </div>
  );
}
