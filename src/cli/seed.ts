import 'reflect-metadata';
import * as bcrypt from 'bcrypt';
import { DataSource } from 'typeorm';
import { loadConfig } from '../config/app-config';
import { uniqueViolation } from '../common/postgres-errors';
import { typeormOptions } from '../database/typeorm-options';
import { SEND_SQL } from '../messages/messages.service';

/** Demo accounts; the passwords are documented in the README. */
export const DEMO_USERS = [
  { username: 'alice', displayName: 'Alice', password: 'alice-password' },
  { username: 'bob', displayName: 'Bob', password: 'bob-password' },
  { username: 'carol', displayName: 'Carol', password: 'carol-password' },
];

const CONVERSATION: [sender: string, chat: 'direct' | 'team', text: string][] = [
  ['alice', 'direct', 'Hi Bob! Did you see the new messenger?'],
  ['bob', 'direct', 'Hey Alice, yes, it already shows read receipts.'],
  ['alice', 'direct', 'Try the group chat too.'],
  ['carol', 'team', 'Welcome to the team chat, everyone.'],
  ['alice', 'team', 'Thanks Carol! Stand-up at 10?'],
  ['bob', 'team', 'Works for me.'],
];

/** Idempotent: running it again changes nothing (unique usernames, direct_key, clientMsgIds). */
export async function seed(dataSource: DataSource, bcryptRounds: number): Promise<void> {
  const ids = new Map<string, string>();
  for (const u of DEMO_USERS) {
    const hash = await bcrypt.hash(u.password, bcryptRounds);
    await dataSource.query(
      `INSERT INTO users (email, username, display_name, password_hash) VALUES ($1, $2, $3, $4)
       ON CONFLICT DO NOTHING`,
      [`${u.username}@example.com`, u.username, u.displayName, hash],
    );
    const [row] = await dataSource.query(`SELECT id FROM users WHERE username = $1`, [u.username]);
    ids.set(u.username, row.id);
  }
  const [alice, bob, carol] = ['alice', 'bob', 'carol'].map((n) => ids.get(n)!);

  await dataSource.transaction(async (tx) => {
    await tx.query(`SELECT pg_advisory_xact_lock(7231002)`); // two seeders at once create one group
    const pair = [alice, bob].sort().join(':');
    const [direct] = await tx.query(
      `INSERT INTO chats (type, direct_key) VALUES ('direct', $1) ON CONFLICT (direct_key) DO UPDATE SET direct_key = EXCLUDED.direct_key RETURNING id`,
      [pair],
    );
    await tx.query(
      `INSERT INTO chat_members (chat_id, user_id) VALUES ($1, $2), ($1, $3) ON CONFLICT DO NOTHING`,
      [direct.id, alice, bob],
    );
    for (const userId of [alice, bob, carol]) {
      const [saved] = await tx.query(
        `INSERT INTO chats (type, direct_key) VALUES ('saved', $1) ON CONFLICT (direct_key) DO UPDATE SET direct_key = EXCLUDED.direct_key RETURNING id`,
        [userId],
      );
      await tx.query(`INSERT INTO chat_members (chat_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`, [
        saved.id,
        userId,
      ]);
    }
    let [team] = await tx.query(`SELECT chat_id AS id FROM groups WHERE name = 'Team' AND creator_id = $1`, [
      carol,
    ]);
    if (!team) {
      [team] = await tx.query(`INSERT INTO chats (type) VALUES ('group') RETURNING id`);
      await tx.query(`INSERT INTO groups (chat_id, name, creator_id) VALUES ($1, 'Team', $2)`, [
        team.id,
        carol,
      ]);
      await tx.query(
        `INSERT INTO chat_members (chat_id, user_id, role) VALUES ($1, $2, 'owner'), ($1, $3, 'admin'), ($1, $4, 'member')`,
        [team.id, carol, alice, bob],
      );
    }
    ids.set('chat:direct', direct.id);
    ids.set('chat:team', team.id);
  });

  for (const [i, [sender, chat, text]] of CONVERSATION.entries()) {
    try {
      await dataSource.query(SEND_SQL, [ids.get(`chat:${chat}`), ids.get(sender), `seed-${i + 1}`, text]);
    } catch (err) {
      if (!uniqueViolation(err)) throw err; // already seeded
    }
  }
}

async function main(): Promise<void> {
  const config = loadConfig();
  const dataSource = new DataSource({ ...typeormOptions(config.databaseUrl), logging: false });
  await dataSource.initialize();
  try {
    await seed(dataSource, config.bcryptRounds);
    console.log(
      `Seeded demo users, a direct chat, saved chats and the group "Team": ${DEMO_USERS.map((u) => `${u.username} / ${u.password}`).join(', ')}`,
    );
  } finally {
    await dataSource.destroy();
  }
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
