import { TestUser } from '../../support/http';
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
