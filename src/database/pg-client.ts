import { Client, QueryResult } from 'pg';

type Callback = (err: Error | null, res?: unknown) => void;

/**
 * node-postgres's Client, except that a query's rows reach the caller in a fresh object and array, and pg's
 * own Result keeps none of them.
 *
 * Why: V8 pretenures an allocation site whose objects mostly survive a scavenge, and under load pg's Result
 * (`this.rows = []` in its constructor) does: a result lives from its first row until the caller has mapped
 * it, and at a few thousand queries a second there are always some in flight. So every Result, and its rows
 * array, is allocated in old space, and then every row it holds is kept alive (old space points at it) until
 * the next full GC: each scavenge copied, then promoted, about 6 MB of rows that were already garbage, with
 * pauses of 10-14 ms and a mark-compact every second scavenge (docs/performance.md, section 7). Handing the
 * rows over in a young object, and emptying pg's Result, lets them die young with the request that read them.
 *
 * The answer keeps the fields that callers of pg read (TypeORM reads rows, rowCount and command); a multi-
 * statement query still answers with one result per statement. Submittables (cursors, streams, a Query object)
 * pass through unchanged.
 */
export class DetachingClient extends Client {
  override query(config: any, values?: any, callback?: any): any {
    if (config == null || typeof config.submit === 'function' || (callback && typeof callback !== 'function'))
      return super.query(config, values, callback);
    // The callback pg would call (utils.normalizeQueryConfig): the third argument, else a function given as
    // the values, else the config's own. Without one, pg answers with a promise.
    const done: unknown =
      callback ??
      (typeof values === 'function' ? values : typeof config === 'object' ? config.callback : undefined);
    const args = typeof values === 'function' ? undefined : values;
    if (typeof done === 'function') return super.query(config, args, detachingCallback(done as Callback));
    return (super.query(config, args) as Promise<unknown>).then(detach);
  }
}

function detachingCallback(callback: Callback): Callback {
  return (err, res) => (err ? callback(err, res) : callback(null, detach(res)));
}

/** A young copy of pg's answer; pg's Result is left empty. */
function detach(res: unknown): unknown {
  if (Array.isArray(res)) return res.map(detach);
  const result = res as QueryResult | undefined;
  if (!Array.isArray(result?.rows) || !Array.isArray(result.fields)) return res;
  return {
    command: result.command,
    rowCount: result.rowCount,
    oid: result.oid,
    fields: take(result.fields),
    rows: take(result.rows),
  };
}

/** The items in a new array (a copy, never pg's backing store); pg's array is left empty. */
function take<T>(items: T[]): T[] {
  const copy = items.slice();
  items.length = 0;
  return copy;
}
