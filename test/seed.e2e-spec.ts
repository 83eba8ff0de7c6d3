import Redis from 'ioredis';
import { DataSource } from 'typeorm';
import { createSeedContext, seed } from '../src/cli/seed';
import { loadConfig } from '../src/config/app-config';
import { typeormOptions } from '../src/database/typeorm-options';
import { startApp, testEnv } from './support/app';
import { Api } from './support/http';

describe('seed', () => {
  it('creates demo users, chats and history once, however often (and concurrently) it runs', async () => {
    const db = new DataSource({ ...typeormOptions(process.env.TEST_DATABASE_URL!), logging: false });
    await db.initialize();
    const counts = async () =>
      (
        await db.query(`SELECT (SELECT count(*) FROM users WHERE username IN ('alice','bob','carol'))::int AS users,
                               (SELECT count(*) FROM groups g JOIN users u ON u.id = g.creator_id
                                 WHERE g.name = 'Team' AND u.username = 'carol')::int AS groups,
                               (SELECT count(*) FROM messages WHERE client_msg_id LIKE 'seed-%')::int AS messages`)
      )[0];
    // Two seeders at once, as two processes would (each its own context and connections), then once more.
    const contexts = await Promise.all([1, 2].map(() => createSeedContext(loadConfig(testEnv()))));
    try {
      await Promise.all(contexts.map((ctx) => seed(ctx, 4)));
      const first = await counts();
      expect(first).toEqual({ users: 3, groups: 1, messages: 6 });
      await seed(contexts[0], 4);
      expect(await counts()).toEqual(first);
      // Nobody could be connected to receive them live: no delivery-outbox entry of the seed's messages is
      // left for the first API instance to publish again (it would warn about each).
      const seeded: { id: string }[] = await db.query(
        `SELECT m.id FROM messages m JOIN chat_members cm ON cm.chat_id = m.chat_id
           JOIN users u ON u.id = cm.user_id WHERE u.username = 'carol'`,
      );
      expect(seeded.length).toBeGreaterThanOrEqual(4);
      const redis = new Redis(process.env.TEST_REDIS_URL!);
      const entries = await redis.zrange('delivery:outbox', 0, -1).finally(() => redis.quit());
      expect(entries.filter((e) => seeded.some((m) => e.includes(m.id)))).toEqual([]);
    } finally {
      await Promise.all(contexts.map((ctx) => ctx.close()));
      await db.destroy();
    }

    // The demo login documented in the README works, and alice sees her chats with history.
    const app = await startApp();
    try {
      const login = await new Api(app.url).post('/auth/login', {
        login: 'alice',
        password: 'alice-password',
      });
      expect(login.status).toBe(200);
      const chats = (await new Api(app.url, login.body.accessToken).get('/chats')).body;
      expect(chats.map((c: { type: string }) => c.type).sort()).toEqual(['direct', 'group', 'saved']);
      expect(chats.find((c: { type: string }) => c.type === 'group')).toMatchObject({
        title: 'Team',
        lastSeq: 4, // "Carol created the group", then three messages
      });
    } finally {
      await app.close();
    }
  });
});
