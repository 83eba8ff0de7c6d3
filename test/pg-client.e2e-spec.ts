import 'reflect-metadata';
import { Pool, PoolClient, Query, QueryResult, Result } from 'pg';
import { DataSource, QueryFailedError } from 'typeorm';
import { DetachingClient } from '../src/database/pg-client';
import { sendPoolOptions, typeormOptions } from '../src/database/typeorm-options';
import { adminDatabaseUrl } from './setup/test-env';

/**
 * Every pool of the app opens DetachingClient connections: what a query returns is a young copy, and pg's own
 * Result (which V8 allocates in old space under load) is left holding no rows, so the rows die with the
 * request that read them instead of surviving until the next full GC (docs/performance.md, section 7).
 * Each test captures the Results pg filled (its addFields) and checks that they were emptied, and that callers
 * (TypeORM, pg-pool, a multi-statement query, a Query object) still get everything they got before.
 */
describe('the pg client every pool opens', () => {
  const url = adminDatabaseUrl(); // the queries below touch no table
  let filled: Result[];
  let addFields: jest.SpyInstance;

  beforeEach(() => {
    filled = [];
    // addFields is how pg's Query starts a Result that has rows (a row description; not in pg's types).
    const prototype = Result.prototype as unknown as { addFields(fields: unknown): void };
    const original = prototype.addFields;
    addFields = jest.spyOn(prototype, 'addFields').mockImplementation(function (
      this: Result,
      fields: unknown,
    ) {
      filled.push(this);
      return original.call(this, fields);
    });
  });
  afterEach(() => addFields.mockRestore());

  const expectEmptied = (count: number) => {
    expect(filled).toHaveLength(count);
    for (const result of filled) {
      expect(result.rows).toEqual([]);
      expect(result.fields).toEqual([]);
    }
  };

  describe('under TypeORM (the app pool)', () => {
    let ds: DataSource;
    beforeAll(async () => {
      ds = new DataSource({ ...typeormOptions(url), logging: false });
      await ds.initialize();
    });
    afterAll(() => ds?.destroy());

    it('returns the rows of a SELECT, and leaves pg holding none of them', async () => {
      const rows = await ds.query('SELECT g AS n, $1::text AS label FROM generate_series(1, 5) g', ['x']);
      expect(rows).toEqual([1, 2, 3, 4, 5].map((n) => ({ n, label: 'x' })));
      expectEmptied(1);
    });

    it('still reports affected rows and RETURNING rows of an UPDATE', async () => {
      const runner = ds.createQueryRunner();
      try {
        await runner.query('CREATE TEMP TABLE detach_t (x int)');
        await runner.query('INSERT INTO detach_t SELECT generate_series(1, 3)');
        const result = await runner.query('UPDATE detach_t SET x = x * 10 RETURNING x', [], true);
        expect(result.affected).toBe(3);
        expect(result.records.map((r: { x: number }) => r.x).sort((a: number, b: number) => a - b)).toEqual([
          10, 20, 30,
        ]);
        expectEmptied(1);
      } finally {
        await runner.release();
      }
    });

    it('still fails a bad statement with the PostgreSQL error', async () => {
      const failure = await ds.query('SELECT 1 / 0').catch((e: unknown) => e);
      expect(failure).toBeInstanceOf(QueryFailedError);
      expect((failure as QueryFailedError & { driverError: { code: string } }).driverError.code).toBe(
        '22012',
      );
    });
  });

  describe('under pg-pool (the send pool)', () => {
    let pool: Pool;
    beforeAll(() => {
      pool = new Pool(sendPoolOptions(url, 5000));
    });
    afterAll(() => pool?.end());
    const withClient = async (use: (client: PoolClient) => Promise<void>) => {
      const client = await pool.connect();
      try {
        await use(client);
      } finally {
        client.release();
      }
    };

    it('opens DetachingClient connections', async () => {
      await withClient(async (client) => {
        expect(client).toBeInstanceOf(DetachingClient);
      });
    });

    it('answers pool.query (its callback form) with the rows and rowCount', async () => {
      const res = await pool.query('SELECT g AS n FROM generate_series(1, 4) g');
      expect(res.rows).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }, { n: 4 }]);
      expect(res.rowCount).toBe(4);
      expect(res.command).toBe('SELECT');
      expect(res.fields.map((f) => f.name)).toEqual(['n']);
      expectEmptied(1);
    });

    it('answers a multi-statement query with one result per statement', async () => {
      await withClient(async (client) => {
        const res = (await client.query('SELECT 1 AS a; SELECT 2 AS b, 3 AS c')) as unknown as QueryResult[];
        expect(res.map((r) => r.rows)).toEqual([[{ a: 1 }], [{ b: 2, c: 3 }]]);
        expectEmptied(2);
      });
    });

    it('keeps rowMode array, a config object with its own callback, and an empty statement', async () => {
      await withClient(async (client) => {
        const arrays = await client.query({ text: 'SELECT 1 AS a, 2 AS b', rowMode: 'array' });
        expect(arrays.rows).toEqual([[1, 2]]);
        const viaCallback = await new Promise<QueryResult>((resolve, reject) =>
          client.query({
            text: 'SELECT $1::int AS n',
            values: [5],
            callback: (err: Error | null, res: QueryResult) => (err ? reject(err) : resolve(res)),
          } as never),
        );
        expect(viaCallback.rows).toEqual([{ n: 5 }]);
        expectEmptied(2);
        const empty = await client.query('');
        expect(empty.rows).toEqual([]);
      });
    });

    it('answers with a copy, also of a result without rows', async () => {
      const none = await pool.query('SELECT 1 AS a WHERE false');
      expect(none.rows).toEqual([]);
      expect(none.fields.map((f) => f.name)).toEqual(['a']);
      const some = await pool.query('SELECT 1 AS a');
      expectEmptied(2);
      for (const res of [none, some]) {
        expect(res).not.toBeInstanceOf(Result);
        expect(filled.some((r) => r.rows === res.rows || r.fields === res.fields)).toBe(false);
      }
    });

    it('runs a named statement again on the same connection (the send batch is one)', async () => {
      await withClient(async (client) => {
        for (const n of [1, 2]) {
          const res = await client.query({ name: 'detach-named', text: 'SELECT $1::int AS n', values: [n] });
          expect(res.rows).toEqual([{ n }]);
        }
        expectEmptied(2);
      });
    });

    it("calls the callback pg would call, and keeps a config's own text getter", async () => {
      await withClient(async (client) => {
        const asValues = await new Promise<QueryResult>((resolve, reject) => {
          const done = (err: Error | null, res: QueryResult) => (err ? reject(err) : resolve(res));
          void client.query('SELECT 3 AS n', done as never);
        });
        expect(asValues.rows).toEqual([{ n: 3 }]);
        const called: string[] = [];
        await new Promise<void>((resolve) =>
          client.query(
            'SELECT 4 AS n',
            (() => {
              called.push('values');
              resolve();
            }) as never,
            ((_err: Error | null, res: QueryResult) => {
              called.push(`callback ${JSON.stringify(res.rows)}`);
              resolve();
            }) as never,
          ),
        );
        expect(called).toEqual(['callback [{"n":4}]']);
        class Prepared {
          get text() {
            return 'SELECT 6 AS n';
          }
        }
        const fromGetter = await new Promise<QueryResult>((resolve, reject) =>
          client.query(
            Object.assign(new Prepared(), {
              callback: (err: Error | null, res: QueryResult) => (err ? reject(err) : resolve(res)),
            }) as never,
          ),
        );
        expect(fromGetter.rows).toEqual([{ n: 6 }]);
        expectEmptied(3);
      });
    });

    it("still fails a statement that outlives the pool's query timeout, as a promise and to a callback", async () => {
      const client = new DetachingClient({ connectionString: url, query_timeout: 100 });
      await client.connect();
      try {
        await expect(client.query('SELECT pg_sleep(0.5)')).rejects.toThrow('Query read timeout');
        const viaCallback = await new Promise<Error | null>((resolve) =>
          client.query('SELECT pg_sleep(0.5)', [], (err: Error | null) => resolve(err)),
        );
        expect(viaCallback?.message).toBe('Query read timeout');
      } finally {
        await client.end();
      }
    });

    it('passes a Query object through untouched', async () => {
      await withClient(async (client) => {
        const query = new Query('SELECT 7 AS seven');
        expect(client.query(query)).toBe(query);
        const rows = await new Promise<unknown[]>((resolve, reject) => {
          query.on('end', (res: QueryResult) => resolve(res.rows));
          query.on('error', reject);
        });
        expect(rows).toEqual([{ seven: 7 }]);
      });
    });
  });
});
