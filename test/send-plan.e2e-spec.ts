import 'reflect-metadata';
import { randomUUID } from 'crypto';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { sendPoolOptions, typeormOptions } from '../src/database/typeorm-options';
import { SEND_BATCH_SQL } from '../src/messages/messages.repository';
import { adminDatabaseUrl, baseDatabaseUrl } from './setup/test-env';

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Index Cond'?: string;
  'Recheck Cond'?: string;
  'Actual Rows'?: number;
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

    // A new installation: one chat, no messages. The first sends make the connection's generic plan.
    await addChats(chats.slice(0, 1));
    await other.query('ANALYZE');
    for (let i = 0; i < 3; i++)
      await sendConnection.query({
        name: 'messages-send-batch',
        text: SEND_BATCH_SQL,
        values: [...batch(1)],
      });

    // Everything grows (no ANALYZE: nothing makes PostgreSQL plan again).
    await addChats(chats.slice(1));
    await other.query(
      `INSERT INTO messages (chat_id, seq, sender_id, client_msg_id, text)
       SELECT cm.chat_id, -row_number() OVER (PARTITION BY cm.chat_id ORDER BY cm.user_id, g), cm.user_id,
              'old-' || g, 'x'
         FROM chat_members cm, generate_series(1, 20) g`,
    );

    const [ids, chatIds, senders, clientIds, texts, batchId] = batch(4);
    const array = (values: string[], type: string) =>
      `ARRAY[${values.map((v) => `'${v}'`).join(',')}]::${type}[]`;
    await sendConnection.query('BEGIN');
    const { rows } = await sendConnection.query(
      `EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE "messages-send-batch"(${array(ids, 'uuid')}, ${array(chatIds, 'uuid')},
         ${array(senders, 'uuid')}, ${array(clientIds, 'varchar')}, ${array(texts, 'varchar')}, '${batchId}')`,
    );
    await sendConnection.query('ROLLBACK');
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
  });
});
