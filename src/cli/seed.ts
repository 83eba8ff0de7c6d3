import 'reflect-metadata';
import { DynamicModule, INestApplicationContext, Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import * as bcrypt from 'bcrypt';
import { AppError } from '../common/app-error';
import { OnAppEvent } from '../common/events';
import { AppConfig, loadConfig } from '../config/app-config';
import { CoreModule } from '../core.module';
import { Transactions } from '../database/transactions';
import { GroupsModule } from '../groups/groups.module';
import { GroupsService } from '../groups/groups.service';
import { InboxModule } from '../inbox/inbox.module';
import { InboxService } from '../inbox/inbox.service';
import { DeliveryOutbox } from '../messages/delivery-outbox';
import type { MessagesCreatedEvent } from '../messages/messages.events';
import { MessagesModule } from '../messages/messages.module';
import { MessagesService } from '../messages/messages.service';
import { UsersModule } from '../users/users.module';
import { UsersService } from '../users/users.service';

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

const SEED_LOCK = 7_231_002;

/**
 * What the API's gateway does with stored messages, minus the sockets: their delivery-outbox entries are
 * settled here. The seed's users are new (a run that finds them stores nothing new), so nobody can be connected
 * to receive these live; left alone, each entry would be published again by the first API instance, with a
 * warning in its log, to nobody.
 */
@Injectable()
class SeedDeliveries {
  private readonly pending: Promise<void>[] = [];

  constructor(private readonly outbox: DeliveryOutbox) {}

  @OnAppEvent('messages.created')
  settle({ delivery }: MessagesCreatedEvent): void {
    if (delivery) this.pending.push(this.outbox.ack(delivery));
  }

  async settled(): Promise<void> {
    await Promise.all(this.pending.splice(0));
  }
}

@Module({})
class SeedModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: SeedModule,
      imports: [CoreModule.forRoot(config), UsersModule, InboxModule, GroupsModule, MessagesModule],
      providers: [SeedDeliveries],
    };
  }
}

/** The services the seed goes through: the same rules (and SQL) as the API, no shortcuts. */
export function createSeedContext(config: AppConfig): Promise<INestApplicationContext> {
  return NestFactory.createApplicationContext(SeedModule.forRoot(config), { logger: ['error'] });
}

/** Idempotent: running it again (or twice at once) changes nothing — unique usernames, direct_key, clientMsgIds. */
export async function seed(app: INestApplicationContext, bcryptRounds: number): Promise<void> {
  const users = app.get(UsersService);
  const inbox = app.get(InboxService);
  const groups = app.get(GroupsService);
  const messages = app.get(MessagesService);

  const ids = new Map<string, string>();
  for (const u of DEMO_USERS) {
    const passwordHash = await bcrypt.hash(u.password, bcryptRounds);
    const email = `${u.username}@example.com`;
    try {
      ids.set(
        u.username,
        (await users.create({ email, username: u.username, displayName: u.displayName, passwordHash })).id,
      );
    } catch (err) {
      if (!(err instanceof AppError && (err.code === 'EMAIL_TAKEN' || err.code === 'USERNAME_TAKEN')))
        throw err;
      ids.set(u.username, (await users.findForLogin(u.username))!.id);
    }
  }
  const [alice, bob, carol] = ['alice', 'bob', 'carol'].map((n) => ids.get(n)!);

  const direct = (await inbox.openDirect(alice, bob)).chat.id;
  for (const userId of [alice, bob, carol]) await inbox.openDirect(userId, userId);
  const team = await app.get(Transactions).exclusive(SEED_LOCK, async () => {
    const existing = await groups.findByName(carol, 'Team');
    if (existing) return existing.chatId;
    const created = await groups.create(carol, 'Team', [alice, bob]);
    await groups.setRole(carol, created.id, alice, 'admin');
    return created.chatId;
  });

  const chatIds = { direct, team };
  for (const [i, [sender, chat, text]] of CONVERSATION.entries()) {
    await messages.send(ids.get(sender)!, chatIds[chat], { text, clientMsgId: `seed-${i + 1}` });
  }
  await app.get(SeedDeliveries).settled();
}

async function main(): Promise<void> {
  const config = loadConfig();
  const app = await createSeedContext(config);
  try {
    await seed(app, config.bcryptRounds);
    console.log(
      `Seeded demo users, a direct chat, saved chats and the group "Team": ${DEMO_USERS.map((u) => `${u.username} / ${u.password}`).join(', ')}`,
    );
  } finally {
    await app.close();
  }
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
