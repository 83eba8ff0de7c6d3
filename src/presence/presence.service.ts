import { Inject, Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'crypto';
import { ChatsRepository } from '../chats/chats.repository';
import { EventBus } from '../common/events';
import { AppConfig } from '../config/app-config';
import { APP_CONFIG } from '../config/config.module';
import { UsersService } from '../users/users.service';
import './presence.events';
import { PresenceStore } from './presence.store';

/**
 * A user whose last socket closed is announced offline only this much later, and only if still offline: a
 * page reload or a network blip is no offline-then-online flicker for their contacts, and a connect/disconnect
 * flood is no flood of presence events.
 */
export const OFFLINE_GRACE_MS = 2000;

export interface LocalSocket {
  userId: string;
  socketId: string;
}

/**
 * Turns socket connects/disconnects into online/offline transitions, lastSeenAt and presence events; keeps
 * this instance's heartbeat; and sweeps instances that died without a word, so their users go offline for
 * everyone (once, cluster-wide) within about PRESENCE_INSTANCE_TTL_MS.
 */
@Injectable()
export class PresenceService {
  /** This process, as presence knows it. */
  readonly instanceId = randomUUID();
  private readonly logger = new Logger(PresenceService.name);
  private timers: NodeJS.Timeout[] = [];
  private pending: { userId: string; online: boolean; resolve(): void; reject(err: unknown): void }[] = [];
  /** A flush is running: announcements wait for the next one. */
  private flushing = false;
  /** Users whose last socket here closed within OFFLINE_GRACE_MS: their offline announcement is pending. */
  private readonly goingOffline = new Map<string, NodeJS.Timeout>();

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly store: PresenceStore,
    private readonly users: UsersService,
    private readonly chats: ChatsRepository,
    private readonly events: EventBus,
  ) {}

  /** Returns the ids of older sockets of this user to close (MAX_SOCKETS_PER_USER). */
  async socketConnected(userId: string, socketId: string): Promise<string[]> {
    const { cameOnline, evicted } = await this.store.connect(
      this.instanceId,
      userId,
      socketId,
      this.config.maxSocketsPerUser,
    );
    const pending = this.goingOffline.get(userId);
    if (pending) {
      // Back within the grace: the offline was never announced, so neither is this online.
      clearTimeout(pending);
      this.goingOffline.delete(userId);
    } else if (cameOnline) await this.announce(userId, true);
    return evicted;
  }

  async socketDisconnected(userId: string, socketId: string): Promise<void> {
    if (!(await this.store.disconnect(this.instanceId, userId, socketId))) return;
    clearTimeout(this.goingOffline.get(userId));
    const timer = setTimeout(() => {
      this.goingOffline.delete(userId);
      // Back elsewhere meanwhile (that instance said online): nothing to say.
      this.store
        .isOnline(userId)
        .then((online) => (online ? undefined : this.announce(userId, false)))
        .catch((err) => this.logger.warn(`presence: offline announcement failed: ${String(err)}`));
    }, OFFLINE_GRACE_MS);
    this.goingOffline.set(userId, timer.unref());
  }

  /** Heartbeats and sweeps until stop(); `localSockets` lists this instance's sockets (to re-register them). */
  start(localSockets: () => LocalSocket[]): void {
    const every = Math.max(500, Math.floor(this.config.instanceTtlMs / 3));
    this.timers = [
      setInterval(() => void this.beat(localSockets), every),
      setInterval(() => void this.sweep(), every),
    ];
    for (const t of this.timers) t.unref();
    void this.beat(localSockets);
  }

  /** No more heartbeats: after a graceful shutdown the sweeper removes what is left of this instance. */
  stop(): void {
    this.timers.forEach(clearInterval);
    this.timers = [];
  }

  private async beat(localSockets: () => LocalSocket[]): Promise<void> {
    try {
      if (await this.store.heartbeat(this.instanceId)) return;
      const sockets = localSockets();
      if (sockets.length === 0) return;
      // Redis lost our sockets (a restart without persistence, or we were swept while stalled): say them again.
      this.logger.warn(`presence: registering ${sockets.length} sockets again`);
      for (const s of sockets) await this.socketConnected(s.userId, s.socketId);
    } catch (err) {
      this.logger.warn(`presence heartbeat failed: ${String(err)}`);
    }
  }

  private async sweep(): Promise<void> {
    try {
      for (const dead of await this.store.deadInstances(this.config.instanceTtlMs)) {
        if (dead === this.instanceId || !(await this.store.claimSweep(dead, this.config.instanceTtlMs)))
          continue;
        const offline = await this.store.removeInstance(dead);
        const line = `presence: swept instance ${dead} (${offline.length} users went offline)`;
        if (offline.length) this.logger.log(line);
        else this.logger.debug(line);
        for (const userId of offline) await this.announce(userId, false);
      }
    } catch (err) {
      this.logger.warn(`presence sweep failed: ${String(err)}`);
    }
  }

  /**
   * Announces online/offline transitions to the users' contacts. Transitions of one event-loop turn go
   * together (a reconnect storm, a swept instance): one query for their contacts, one for lastSeenAt — which is
   * written only when a user goes offline ("last seen"), and read when they come online.
   */
  private announce(userId: string, online: boolean): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pending.push({ userId, online, resolve, reject });
      if (this.pending.length === 1 && !this.flushing) setImmediate(() => void this.flushAnnouncements());
    });
  }

  /**
   * One flush at a time: in a connection storm (thousands of handshakes a second) a flush per event-loop turn
   * would queue more queries than the pool has connections and time out; instead, what arrives while a flush
   * runs waits for the next one, which is then bigger.
   */
  private async flushAnnouncements(): Promise<void> {
    this.flushing = true;
    const batch = this.pending.splice(0);
    try {
      const ids = [...new Set(batch.map((t) => t.userId))];
      const offline = [...new Set(batch.filter((t) => !t.online).map((t) => t.userId))];
      const [contacts, touched, seen] = await Promise.all([
        this.chats.contactsOf(ids),
        this.users.touchLastSeen(offline),
        this.users.lastSeen(ids.filter((id) => !offline.includes(id))),
      ]);
      for (const t of batch) {
        const lastSeenAt = (t.online ? seen.get(t.userId) : touched.get(t.userId)) ?? null;
        this.events.emit('presence.changed', {
          userId: t.userId,
          online: t.online,
          lastSeenAt: lastSeenAt?.toISOString() ?? null,
          recipientIds: contacts.get(t.userId) ?? [],
        });
        t.resolve();
      }
    } catch (err) {
      for (const t of batch) t.reject(err);
    } finally {
      this.flushing = false;
      if (this.pending.length) setImmediate(() => void this.flushAnnouncements());
    }
  }
}
