import { TestUser } from '../../support/http';
import { LoadDriver } from './load-driver';
import { ProbeTarget } from './probes';
import { ApiInstance, FaultStack } from './stack';

let probeMessages = 0;

/**
 * A user with a direct chat, for REST probes that need PostgreSQL: listing chats and sending a message
 * (a fresh clientMsgId each time, so every probe is a real insert).
 */
export async function restProber(
  stack: FaultStack,
  tag: string,
): Promise<{
  user: TestUser;
  chatId: string;
  targets: (via: ApiInstance) => ProbeTarget[];
}> {
  const user = await stack.register(`${tag}p`);
  const peer = await stack.register(`${tag}q`);
  const chatId = (await user.api.post('/chats/direct', { userId: peer.id })).body.id as string;
  return {
    user,
    chatId,
    targets: (via) => [
      { name: 'chats', url: `${via.url}/api/chats`, token: () => user.accessToken },
      {
        name: 'send',
        method: 'POST',
        url: `${via.url}/api/chats/${chatId}/messages`,
        token: () => user.accessToken,
        body: () => ({ text: 'probe', clientMsgId: `${tag}-probe-${++probeMessages}` }),
      },
      { name: 'ready', url: `${via.url}/api/health/ready` },
    ],
  };
}

/**
 * The load every scenario runs its fault under: 20 sender/receiver pairs, senders on `senders` (default: the
 * first two instances), receivers on the second instance, `rate` messages a second; connected and warmed up
 * for 2.5 s before it is returned.
 */
export async function warmLoad(
  stack: FaultStack,
  tag: string,
  { rate = 100, senders = stack.apis.slice(0, 2) }: { rate?: number; senders?: ApiInstance[] } = {},
): Promise<LoadDriver> {
  const pairs = await stack.pairs(20, tag);
  const driver = new LoadDriver({
    pairs,
    senderUrls: senders.map((api) => api.url),
    receiverUrls: [stack.apis[1].url],
    rate,
    tag,
  });
  await driver.connect();
  await driver.runFor(2500);
  return driver;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

/** The promise's value, or 'timeout' after `ms` (the timer is cleared either way, so nothing lingers). */
export async function within<T>(promise: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), ms))),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
