import { io, Socket } from 'socket.io-client';

/** A real Socket.IO client that records every event it receives. */
export class TestSocket {
  readonly events: { event: string; payload: any }[] = [];
  private waiters: { match: (e: { event: string; payload: any }) => boolean; resolve: (p: any) => void }[] =
    [];

  constructor(readonly socket: Socket) {
    socket.onAny((event: string, payload: any) => {
      const entry = { event, payload };
      this.events.push(entry);
      this.waiters = this.waiters.filter((w) => (w.match(entry) ? (w.resolve(payload), false) : true));
    });
  }

  /** Resolves with the first matching event, past or future. */
  waitFor(event: string, predicate: (payload: any) => boolean = () => true, timeoutMs = 5000): Promise<any> {
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

  received(event: string, predicate: (payload: any) => boolean = () => true): any[] {
    return this.events.filter((e) => e.event === event && predicate(e.payload)).map((e) => e.payload);
  }

  emitAck(event: string, payload: unknown, timeoutMs = 5000): Promise<any> {
    return this.socket.timeout(timeoutMs).emitWithAck(event, payload);
  }

  get connected(): boolean {
    return this.socket.connected;
  }

  close(): void {
    this.socket.disconnect();
  }
}

export function connectSocket(baseUrl: string, token: unknown): Promise<TestSocket> {
  const socket = io(baseUrl, {
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

/** Lets in-flight broadcasts arrive before asserting that something did NOT arrive. */
export const settle = (ms = 300) => new Promise((r) => setTimeout(r, ms));
