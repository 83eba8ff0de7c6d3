/** Every socket of a user is in this room; all server-to-client events are sent to users' rooms. */
export const userRoom = (userId: string) => `user:${userId}`;

/**
 * The Socket.IO adapter's channel prefix, shared by the API's adapter and the worker's emitter. Pub/sub
 * channels are not scoped by Redis database, so the prefix carries the database number (tests use their own).
 */
export function socketIoChannelKey(redisUrl: string): string {
  const db = new URL(redisUrl).pathname.replace('/', '') || '0';
  return `socket.io-db${db}`;
}
