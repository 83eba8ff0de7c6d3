import 'reflect-metadata';
import { randomUUID } from 'crypto';
import { Client, Pool } from 'pg';
import { DataSource } from 'typeorm';
import { SEND_POOL_LIFETIME_SECONDS, sendPoolOptions, typeormOptions } from '../src/database/typeorm-options';
import { SEND_BATCH_SQL } from '../src/messages/messages.repository';
import { adminDatabaseUrl, baseDatabaseUrl } from './setup/test-env';

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Index Cond'?: string;
  'Recheck Cond'?: string;
  'Actual Rows'?: number;
  'Rows Removed by Filter'?: number;
  Plans?: PlanNode[];
}

const nodesOf = (node: PlanNode): PlanNode[] => [node, ...(node.Plans ?? []).flatMap(nodesOf)];
const SCANS = /Scan$/;
const TABLES = ['messages', 'chats', 'chat_members'];

/**
 * The send batch runs on the send pool, which keeps one generic plan per connection (SendPool). A plan built
 * with one chat and no messages (a new installation) must still look each send up by index once the tables
 * have grown: every scan of a table is an index probe with a condition, never a sequential or a whole-index
 * scan. Before the statement was written for it, this plan scanned all of `messages` (the idempotency check)
 * or all of `chats` (to lock the batch's chats in id order) for every batch.
 */
describe('the send batch plan on the send pool', () => {
  const dbName = `messenger_sendplan_${process.pid}`;
  const url = (() => {
    const u = baseDatabaseUrl();
    u.pathname = `/${dbName}`;
    return u.toString();
  })();
  let sendConnection: Client;
  let other: Client;

  beforeAll(async () => {
    const admin = new Client({ connectionString: adminDatabaseUrl() });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
    await admin.query(`CREATE DATABASE "${dbName}"`);
    await admin.end();
    const ds = new DataSource({ ...typeormOptions(url), logging: false });
    await ds.initialize();
    await ds.runMigrations();
    await ds.destroy();
    other = new Client({ connectionString: url });
    await other.connect();
    sendConnection = new Client(sendPoolOptions(url, 5000));
    await sendConnection.connect();
  });

  afterAll(async () => {
    await sendConnection?.end();
    await other?.end();
    const admin = new Client({ connectionString: adminDatabaseUrl() });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
    await admin.end();
  });

  it('probes by index, even when the plan was made while the tables were (nearly) empty', async () => {
    const users = Array.from({ length: 2000 }, () => randomUUID());
    const chats = Array.from({ length: 1000 }, (_, i) => ({
      id: randomUUID(),
      a: users[2 * i],
      b: users[2 * i + 1],
    }));
    const addChats = async (some: typeof chats) => {
      await other.query(
        `INSERT INTO users (id, email, username, display_name, password_hash)
         SELECT id, id || '@example.test', left(replace(id::text, '-', ''), 32), 'User', 'x'
           FROM unnest($1::uuid[]) id`,
        [some.flatMap((c) => [c.a, c.b])],
      );
      await other.query(`INSERT INTO chats (id, type) SELECT unnest($1::uuid[]), 'direct'`, [
        some.map((c) => c.id),
      ]);
      await other.query(
        `INSERT INTO chat_members (chat_id, user_id) SELECT * FROM unnest($1::uuid[], $2::uuid[])`,
        [some.flatMap((c) => [c.id, c.id]), some.flatMap((c) => [c.a, c.b])],
      );
    };
    const batch = (n: number) => {
      const picked = chats.slice(0, n);
      return [
        picked.map(() => randomUUID()),
        picked.map((c) => c.id),
        picked.map((c) => c.a),
        picked.map(() => randomUUID()),
        picked.map(() => 'hello'),
        randomUUID(),
      ] as const;
    };

    const makePlan = async (connection: Client) => {
      for (let i = 0; i < 3; i++)
        await connection.query({ name: 'messages-send-batch', text: SEND_BATCH_SQL, values: [...batch(1)] });
    };
    /** The scans of tables in the connection's cached plan, run on a batch of four sends (rolled back). */
    const scansOfPlan = async (connection: Client) => {
      const [ids, chatIds, senders, clientIds, texts, batchId] = batch(4);
      const array = (values: string[], type: string) =>
        `ARRAY[${values.map((v) => `'${v}'`).join(',')}]::${type}[]`;
      await connection.query('BEGIN');
      const { rows } = await connection.query(
        `EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE "messages-send-batch"(${array(ids, 'uuid')}, ${array(chatIds, 'uuid')},
           ${array(senders, 'uuid')}, ${array(clientIds, 'varchar')}, ${array(texts, 'varchar')}, '${batchId}')`,
      );
      await connection.query('ROLLBACK');
      const nodes = nodesOf(rows[0]['QUERY PLAN'][0].Plan as PlanNode);
      const scans = nodes.filter(
        (n) => SCANS.test(n['Node Type']) && TABLES.includes(n['Relation Name'] ?? ''),
      );
      expect(scans.map((n) => n['Relation Name'])).toEqual(expect.arrayContaining(TABLES));
      for (const scan of scans) {
        const cond = scan['Index Cond'] ?? scan['Recheck Cond'];
        expect({ scan: scan['Node Type'], on: scan['Relation Name'], cond: typeof cond }).toEqual({
          scan: expect.stringMatching(/^(Index|Index Only|Bitmap Heap) Scan$/),
          on: scan['Relation Name'],
          cond: 'string',
        });
        // A probe finds at most the rows of its own send or chat, never the 40,000 stored ones.
        expect(scan['Actual Rows']).toBeLessThanOrEqual(4);
      }
      return scans;
    };

    // A new installation: one chat, no messages. The first sends make the connection's generic plan.
    await addChats(chats.slice(0, 1));
    await other.query('ANALYZE');
    await makePlan(sendConnection);

    // Everything grows (no ANALYZE: nothing makes PostgreSQL plan again).
    await addChats(chats.slice(1));
    await other.query(
      `INSERT INTO messages (chat_id, seq, sender_id, client_msg_id, text)
       SELECT cm.chat_id, -row_number() OVER (PARTITION BY cm.chat_id ORDER BY cm.user_id, g), cm.user_id,
              'old-' || g, 'x'
         FROM chat_members cm, generate_series(1, 20) g`,
    );

    await scansOfPlan(sendConnection);

    // The senders are also members of 500 other chats each, joined before the chats they send to.
    const busy = chats.slice(0, 4).map((c) => c.a);
    await other.query(
      `WITH gone AS (DELETE FROM chat_members WHERE user_id = ANY ($2::uuid[]))
       INSERT INTO chat_members (chat_id, user_id) SELECT c, u FROM unnest($1::uuid[]) c, unnest($2::uuid[]) u`,
      [chats.slice(500).map((c) => c.id), busy],
    );
    await other.query(
      `INSERT INTO chat_members (chat_id, user_id) SELECT * FROM unnest($1::uuid[], $2::uuid[])`,
      [chats.slice(0, 4).map((c) => c.id), busy],
    );
    // The plan made on two rows of chat_members looks each membership up by user_id and walks the sender's
    // 501 memberships to find it. A connection opened now (the send pool replaces each one after
    // SEND_POOL_LIFETIME_SECONDS) plans on today's statistics: each membership is one probe of the key.
    await other.query('ANALYZE');
    const later = new Client(sendPoolOptions(url, 5000));
    await later.connect();
    try {
      await makePlan(later);
      for (const scan of await scansOfPlan(later))
        expect({ on: scan['Index Name'], removed: scan['Rows Removed by Filter'] ?? 0 }).toEqual({
          on: scan['Index Name'],
          removed: 0,
        });
    } finally {
      await later.end();
    }
  });

  it('replaces a send-pool connection once its lifetime is over, so that its plan is made again', async () => {
    expect(sendPoolOptions(url, 5000).maxLifetimeSeconds).toBe(SEND_POOL_LIFETIME_SECONDS);
    // The same options with a lifetime of a second: the pool must honour the option by that name.
    const pool = new Pool({ ...sendPoolOptions(url, 5000), maxLifetimeSeconds: 1 });
    try {
      const backend = async () => (await pool.query('SELECT pg_backend_pid() AS pid')).rows[0].pid as number;
      const first = await backend();
      expect(await backend()).toBe(first);
      await new Promise((r) => setTimeout(r, 1500));
      expect(await backend()).not.toBe(first);
    } finally {
      await pool.end();
    }
  });
});
