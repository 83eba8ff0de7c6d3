import { io, Socket } from 'socket.io-client';
import type { ClientToServerEvents, ServerToClientEvents } from '../../src/realtime/socket-events';

export type ServerEvent = keyof ServerToClientEvents;
/** What the server sends with an event. */
export type Payload<E extends ServerEvent> = Parameters<ServerToClientEvents[E]>[0];

interface Received {
  event: ServerEvent;
  payload: any;
}

/** A real Socket.IO client, typed with the server's events, that records every event it receives. */
export class TestSocket {
  readonly events: Received[] = [];
  /** Why the socket disconnected, once it has. */
  disconnectReason?: string;
  private waiters: { match: (e: Received) => boolean; resolve: (p: any) => void }[] = [];

  constructor(readonly socket: Socket<ServerToClientEvents, ClientToServerEvents>) {
    socket.on('disconnect', (reason) => (this.disconnectReason = reason));
    socket.onAny((event: ServerEvent, payload: unknown) => {
      const entry = { event, payload };
      this.events.push(entry);
      this.waiters = this.waiters.filter((w) => (w.match(entry) ? (w.resolve(payload), false) : true));
    });
  }

  /** Resolves with the first matching event, past or future. */
  waitFor<E extends ServerEvent>(
    event: E,
    predicate: (payload: Payload<E>) => boolean = () => true,
    timeoutMs = 5000,
  ): Promise<Payload<E>> {
    const seen = this.events.find((e) => e.event === event && predicate(e.payload));
    if (seen) return Promise.resolve(seen.payload);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for "${event}"`)), timeoutMs);
      this.waiters.push({
        match: (e) => e.event === event && predicate(e.payload),
        resolve: (p) => {
          clearTimeout(timer);
          resolve(p);
        },
      });
    });
  }

  received<E extends ServerEvent>(
    event: E,
    predicate: (payload: Payload<E>) => boolean = () => true,
  ): Payload<E>[] {
    return this.events.filter((e) => e.event === event && predicate(e.payload)).map((e) => e.payload);
  }

  /** Emits a client event and resolves with its acknowledgement (any payload: tests send malformed ones too). */
  emitAck(event: keyof ClientToServerEvents, payload: unknown, timeoutMs = 5000): Promise<any> {
    return (this.socket.timeout(timeoutMs) as any).emitWithAck(event, payload);
  }

  /** Resolves with the disconnect reason (at once if it is already disconnected). */
  disconnected(timeoutMs = 5000): Promise<string> {
    if (this.disconnectReason) return Promise.resolve(this.disconnectReason);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('still connected')), timeoutMs);
      this.socket.once('disconnect', (reason) => {
        clearTimeout(timer);
        resolve(reason);
      });
    });
  }

  /** The socket without event types, to send what a misbehaving client would. */
  get raw(): Socket {
    return this.socket;
  }

  get connected(): boolean {
    return this.socket.connected;
  }

  close(): void {
    this.socket.disconnect();
  }
}

export function connectSocket(baseUrl: string, token: unknown): Promise<TestSocket> {
  const socket: Socket<ServerToClientEvents, ClientToServerEvents> = io(baseUrl, {
    path: '/socket.io',
    auth: { token },
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
  });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(new TestSocket(socket)));
    socket.once('connect_error', (err) => {
      socket.close();
      reject(err);
    });
  });
}

/**
 * Only to assert that something did NOT happen: gives a wrong event time to arrive first. Never use it to
 * wait for something that should happen — wait for that event (waitFor) or poll (eventually) instead.
 */
export const settle = (ms = 300) => new Promise((r) => setTimeout(r, ms));

/** Polls until `check` resolves truthy (then returns its value) or the time is up. */
export async function eventually<T>(
  check: () => Promise<T> | T,
  timeoutMs = 10000,
  everyMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
