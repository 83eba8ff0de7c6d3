/** Every socket of a user is in this room; all server-to-client events are sent to users' rooms. */
export const USER_ROOM_PREFIX = 'user:';
export const userRoom = (userId: string) => `${USER_ROOM_PREFIX}${userId}`;

/**
 * The Socket.IO adapter's channel prefix, shared by the API's adapter and the worker's emitter. Pub/sub
 * channels are not scoped by Redis database, so the prefix carries the database number (tests use their own).
 */
export function socketIoChannelKey(redisUrl: string): string {
  const db = new URL(redisUrl).pathname.replace('/', '') || '0';
  return `socket.io-db${db}`;
}

/** message:new's own channel (see MessageFanout), under the adapter's prefix so tests stay apart. */
export const fanoutChannel = (redisUrl: string) => `${socketIoChannelKey(redisUrl)}#fanout`;
