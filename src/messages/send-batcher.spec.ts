import { mockOf } from '../../test/unit/mocks';
import { EventBus } from '../common/events';
import { Metrics } from '../common/metrics';
import { DeliveryOutbox } from './delivery-outbox';
import {
  DuplicateInFlightError,
  MembershipChangedError,
  Message,
  MessagesRepository,
  NewMessage,
  SendOutcome,
} from './messages.repository';
import { MAX_BATCH, MAX_WAITING, SendBatcher } from './send-batcher';
import { SendRateLimiter } from './send-rate-limiter';

const chat = (n: number) => `00000000-0000-4000-8000-0000000000c${n}`;
const ALICE = '00000000-0000-4000-8000-00000000000a';
const BOB = '00000000-0000-4000-8000-00000000000b';

const row = (s: NewMessage, seq: number): Message => ({
  ...s,
  type: 'text',
  system: null,
  seq,
  createdAt: new Date('2026-12-01T10:00:00Z'),
  editedAt: null,
  deletedAt: null,
});

function setup() {
  const repo = mockOf<MessagesRepository>();
  const limiter = mockOf<SendRateLimiter>();
  const outbox = mockOf<DeliveryOutbox>();
  const events = mockOf<EventBus>();
  const metrics = new Metrics();
  const batcher = new SendBatcher(repo, limiter, outbox, events, metrics);
  // Everyone may send everything; every message is stored; seqs count up per chat.
  limiter.take.mockImplementation(
    async (wanted) => new Map([...wanted].map(([s, n]) => [s, { granted: n, retryAfterSec: null }])),
  );
  outbox.record.mockResolvedValue('entry-1');
  // Unless a test says otherwise, senders hold no rate-limit units here: every batch waits for Redis.
  outbox.answering.mockReturnValue(true);
  limiter.takeHeld.mockReturnValue(false);
  const seqs = new Map<string, number>();
  const batches: NewMessage[][] = [];
  repo.insertBatch.mockImplementation(async (sends): Promise<SendOutcome[]> => {
    batches.push(sends);
    return sends.map((s) => {
      const seq = (seqs.get(s.chatId) ?? 0) + 1;
      seqs.set(s.chatId, seq);
      return { kind: 'inserted', message: row(s, seq), memberIds: [ALICE, BOB] };
    });
  });
  return { batcher, repo, limiter, outbox, events, batches, metrics };
}

const send = (chatId: string, clientMsgId: string, senderId = ALICE) => ({
  chatId,
  senderId,
  clientMsgId,
  text: clientMsgId,
});

describe('SendBatcher', () => {
  it('sends that arrive together go as one statement, and each caller gets its own message', async () => {
    const t = setup();
    const results = await Promise.all(
      [1, 2, 3].map((n) => t.batcher.submit(send(chat(n), `m${n}`), `sock-${n}`)),
    );
    expect(t.batches).toHaveLength(1);
    expect(results.map((r) => r.kind === 'inserted' && r.message.clientMsgId)).toEqual(['m1', 'm2', 'm3']);
    // One publication for the batch, carrying its outbox entry, with each message's origin socket.
    expect(t.events.emit).toHaveBeenCalledTimes(1);
    const [event, payload] = t.events.emit.mock.calls[0] as [string, any];
    expect(event).toBe('messages.created');
    expect(payload.delivery).toBe('entry-1');
    expect(payload.items.map((i: any) => i.originSocketId)).toEqual(['sock-1', 'sock-2', 'sock-3']);
    expect(t.outbox.record).toHaveBeenCalledWith(t.batches[0].map((s) => s.id));
  });

  it('times each batch: its size, how long its oldest send queued, the Redis round trip and the statement', async () => {
    const t = setup();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    t.repo.insertBatch.mockImplementationOnce(async (sends) => {
      await gate;
      return sends.map((s, i) => ({ kind: 'inserted', message: row(s, i + 1), memberIds: [ALICE, BOB] }));
    });
    const first = t.batcher.submit(send(chat(1), 'm1'));
    await new Promise((r) => setTimeout(r, 30)); // the first statement takes 30 ms at least
    const queued = [2, 3, 4].map((n) => t.batcher.submit(send(chat(1), `m${n}`)));
    await new Promise((r) => setTimeout(r, 20)); // these wait behind it (same chat) for 20 ms at least
    release();
    await Promise.all([first, ...queued]);
    // The sums and counts as Prometheus reads them from /metrics.
    const text = await t.metrics.text();
    const read = (series: string) => Number(new RegExp(`^${series} (\\S+)$`, 'm').exec(text)?.[1]);
    expect(read('send_batch_size_count')).toBe(2);
    expect(read('send_batch_size_sum')).toBe(4);
    const phase = (p: string, what: 'sum' | 'count') =>
      read(`send_batch_phase_seconds_${what}\\{phase="${p}"\\}`);
    expect(['queued', 'redis', 'statement'].map((p) => phase(p, 'count'))).toEqual([2, 2, 2]);
    const phases = {
      queued_sum: phase('queued', 'sum'),
      redis_sum: phase('redis', 'sum'),
      statement_sum: phase('statement', 'sum'),
    };
    // Timers may fire a little early and the first statement starts a moment after its submit: some slack.
    expect(phases.queued_sum).toBeGreaterThanOrEqual(0.015);
    expect(phases.statement_sum).toBeGreaterThanOrEqual(0.04);
    expect(phases.redis_sum).toBeLessThan(phases.statement_sum);
  });

  it('senders holding their units and Redis up: the entry is written first, then the statement, without waiting', async () => {
    const t = setup();
    t.limiter.takeHeld.mockReturnValue(true);
    const order: string[] = [];
    // Redis has not answered the record (and never does in this test): the statement goes all the same.
    t.outbox.begin.mockImplementation(() => {
      order.push('outbox entry written');
      return { entry: 'entry-2', recorded: new Promise<void>(() => undefined) };
    });
    const insert = t.repo.insertBatch.getMockImplementation()!;
    t.repo.insertBatch.mockImplementation((sends, batchId) => {
      order.push(`statement ${batchId}`);
      return insert(sends, batchId);
    });
    const results = await Promise.all([
      t.batcher.submit(send(chat(1), 'a1')),
      t.batcher.submit(send(chat(2), 'b1', BOB)),
    ]);
    expect(results.map((r) => r.kind)).toEqual(['inserted', 'inserted']);
    expect(order).toEqual(['outbox entry written', 'statement entry-2']);
    expect(t.limiter.takeHeld).toHaveBeenCalledWith(
      new Map([
        [ALICE, 1],
        [BOB, 1],
      ]),
    );
    expect(t.limiter.take).not.toHaveBeenCalled();
    expect(t.outbox.record).not.toHaveBeenCalled();
    expect((t.events.emit.mock.calls[0] as [string, any])[1].delivery).toBe('entry-2');
  });

  it('a failing statement on the path that did not wait: callers fail, units are refunded, the entry released', async () => {
    const t = setup();
    t.limiter.takeHeld.mockReturnValue(true);
    t.outbox.begin.mockReturnValue({ entry: 'entry-3', recorded: Promise.resolve() });
    t.repo.insertBatch.mockRejectedValueOnce(new Error('Connection terminated'));
    await expect(t.batcher.submit(send(chat(1), 'x'))).rejects.toThrow('Connection terminated');
    await t.batcher.idle();
    expect(t.outbox.release).toHaveBeenCalledWith('entry-3'); // it may have committed: a sweeper decides
    expect(t.outbox.ack).not.toHaveBeenCalled();
    expect(t.limiter.refund).toHaveBeenCalledWith(new Map([[ALICE, 1]]));
  });

  it('Redis not answering promptly: the batch waits for its answers even when its senders hold units', async () => {
    const t = setup();
    t.outbox.answering.mockReturnValue(false);
    t.limiter.takeHeld.mockReturnValue(true);
    expect((await t.batcher.submit(send(chat(1), 'a1'))).kind).toBe('inserted');
    expect(t.limiter.takeHeld).not.toHaveBeenCalled(); // no units spent on a batch that waits anyway
    expect(t.limiter.take).toHaveBeenCalledTimes(1);
    expect(t.outbox.record).toHaveBeenCalledTimes(1);
    expect(t.outbox.begin).not.toHaveBeenCalled();
  });

  it('a chat’s sends keep their order: the next batch waits while one of that chat is in flight', async () => {
    const t = setup();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const original = t.repo.insertBatch.getMockImplementation()!;
    t.repo.insertBatch.mockImplementationOnce(async (sends, batchId) => {
      await gate;
      return original(sends, batchId);
    });
    const first = t.batcher.submit(send(chat(1), 'a'));
    await new Promise((r) => setImmediate(r)); // the first batch is in flight
    const later = [t.batcher.submit(send(chat(1), 'b')), t.batcher.submit(send(chat(2), 'c'))];
    await new Promise((r) => setImmediate(r));
    // chat 2 went on without waiting; chat 1's second send waits for its first.
    expect(t.batches.map((b) => b.map((s) => s.clientMsgId))).toEqual([['c']]);
    release();
    await Promise.all([first, ...later]);
    expect(t.batches.map((b) => b.map((s) => s.clientMsgId))).toEqual([['c'], ['a'], ['b']]);
  });

  it('the same (sender, clientMsgId) twice never shares a statement: the second reads as a replay', async () => {
    const t = setup();
    t.repo.insertBatch
      .mockImplementationOnce(async (sends) =>
        sends.map((s) => ({ kind: 'inserted', message: row(s, 1), memberIds: [ALICE] })),
      )
      .mockImplementationOnce(async (sends) => sends.map((s) => ({ kind: 'existing', message: row(s, 1) })));
    const [a, b] = await Promise.all([
      t.batcher.submit(send(chat(1), 'dup')),
      t.batcher.submit(send(chat(1), 'dup')),
    ]);
    expect(t.repo.insertBatch).toHaveBeenCalledTimes(2);
    expect([a.kind, b.kind]).toEqual(['inserted', 'existing']);
  });

  it('over the rate limit: the sender’s first sends go, the rest are answered rate-limited and not stored', async () => {
    const t = setup();
    t.limiter.take.mockResolvedValueOnce(
      new Map([
        [ALICE, { granted: 1, retryAfterSec: 7 }],
        [BOB, { granted: 1, retryAfterSec: null }],
      ]),
    );
    const results = await Promise.all([
      t.batcher.submit(send(chat(1), 'a1')),
      t.batcher.submit(send(chat(1), 'b1', BOB)),
      t.batcher.submit(send(chat(2), 'a2')),
    ]);
    expect(results.map((r) => r.kind)).toEqual(['inserted', 'inserted', 'rate-limited']);
    expect(results[2]).toEqual({ kind: 'rate-limited', retryAfterSec: 7 });
    expect(t.batches[0].map((s) => s.clientMsgId)).toEqual(['a1', 'b1']);
  });

  it('replays and refusals give their rate-limit units back; nothing stored means the outbox entry is cleared', async () => {
    const t = setup();
    t.repo.insertBatch.mockImplementationOnce(async (sends) => [
      { kind: 'existing', message: row(sends[0], 1) },
      { kind: 'refused' },
    ]);
    await Promise.all([t.batcher.submit(send(chat(1), 'old')), t.batcher.submit(send(chat(2), 'nope', BOB))]);
    await t.batcher.idle(); // the bookkeeping after the answers
    expect(t.limiter.refund).toHaveBeenCalledWith(
      new Map([
        [ALICE, 1],
        [BOB, 1],
      ]),
    );
    expect(t.events.emit).not.toHaveBeenCalled();
    expect(t.outbox.ack).toHaveBeenCalledWith('entry-1');
  });

  it('a duplicate racing on another instance: the statement runs again and reads it as stored', async () => {
    const t = setup();
    t.repo.insertBatch
      .mockRejectedValueOnce(new DuplicateInFlightError())
      .mockImplementationOnce(async (sends) => [{ kind: 'existing', message: row(sends[0], 1) }]);
    expect((await t.batcher.submit(send(chat(1), 'race'))).kind).toBe('existing');
    expect(t.repo.insertBatch).toHaveBeenCalledTimes(2);
  });

  it('a membership change while the statement waited: it runs again; a chat that keeps changing is a 503', async () => {
    const t = setup();
    t.repo.insertBatch.mockRejectedValueOnce(new MembershipChangedError());
    expect((await t.batcher.submit(send(chat(1), 'moved'))).kind).toBe('inserted');
    expect(t.repo.insertBatch).toHaveBeenCalledTimes(2);

    t.repo.insertBatch.mockClear();
    t.repo.insertBatch.mockRejectedValue(new MembershipChangedError());
    await expect(t.batcher.submit(send(chat(1), 'churn'))).rejects.toMatchObject({
      code: 'SERVICE_UNAVAILABLE',
      retryAfterSec: 1,
    });
    expect(t.repo.insertBatch).toHaveBeenCalledTimes(3);
    expect(t.limiter.refund).toHaveBeenLastCalledWith(new Map([[ALICE, 1]]));
  });

  it('Redis down: the batch and everything waiting behind it fail at once, and units taken are given back', async () => {
    const t = setup();
    let fail!: (err: Error) => void;
    t.outbox.record.mockImplementationOnce(() => new Promise((_, reject) => (fail = reject)));
    const first = t.batcher.submit(send(chat(1), 'a'));
    await new Promise((r) => setImmediate(r));
    // Same chat: these wait behind the first batch.
    const waiting = ['b', 'c'].map((id) => t.batcher.submit(send(chat(1), id)));
    fail(new Error('Command timed out'));
    const results = await Promise.allSettled([first, ...waiting]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected']);
    expect(t.outbox.record).toHaveBeenCalledTimes(1);
    expect(t.repo.insertBatch).not.toHaveBeenCalled();
    // The rate limit had granted the first one its unit: it is refunded.
    expect(t.limiter.refund).toHaveBeenCalledWith(new Map([[ALICE, 1]]));
  });

  it('the rate limit failing while the outbox record went through: the entry is cleared, nothing was stored', async () => {
    const t = setup();
    t.limiter.take.mockRejectedValueOnce(new Error('Command timed out'));
    await expect(t.batcher.submit(send(chat(1), 'x'))).rejects.toThrow('Command timed out');
    expect(t.repo.insertBatch).not.toHaveBeenCalled();
    expect(t.outbox.ack).toHaveBeenCalledWith('entry-1');
  });

  it('a failing statement fails every caller of the batch, refunds them, and leaves the outbox entry', async () => {
    const t = setup();
    t.repo.insertBatch.mockRejectedValueOnce(new Error('Connection terminated'));
    const results = await Promise.allSettled([
      t.batcher.submit(send(chat(1), 'x')),
      t.batcher.submit(send(chat(2), 'y')),
    ]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(t.limiter.refund).toHaveBeenCalledWith(new Map([[ALICE, 2]]));
    expect(t.outbox.ack).not.toHaveBeenCalled(); // the commit may have happened: the sweeper decides
    expect(t.outbox.release).toHaveBeenCalledWith('entry-1'); // any sweeper, this instance's own too
  });

  it('at most MAX_BATCH per statement; beyond MAX_WAITING waiting sends it refuses at once (503)', async () => {
    const t = setup();
    const many = Array.from({ length: MAX_BATCH + 5 }, (_, i) =>
      t.batcher.submit(send(chat(1 + (i % 9)), `m${i}`)),
    );
    await Promise.all(many);
    expect(Math.max(...t.batches.map((b) => b.length))).toBeLessThanOrEqual(MAX_BATCH);

    let release!: () => void;
    t.repo.insertBatch.mockImplementation(() => new Promise((r) => (release = () => r([]))));
    const flood = Array.from({ length: MAX_WAITING + 10 }, (_, i) =>
      t.batcher.submit(send(chat(1), `f${i}`)).catch((e) => e),
    );
    const refused = (await Promise.race([
      Promise.all(flood.slice(-10)),
      new Promise((r) => setTimeout(r, 1000)),
    ])) as any[];
    expect(refused.every((e) => e?.code === 'SERVICE_UNAVAILABLE')).toBe(true);
    while (!release) await new Promise((r) => setImmediate(r)); // the first batch reaches its statement
    release();
  });

  it('idle() resolves once nothing is waiting or in flight', async () => {
    const t = setup();
    await expect(t.batcher.idle()).resolves.toBeUndefined();
    const pending = t.batcher.submit(send(chat(1), 'late'));
    let idle = false;
    const waiting = t.batcher.idle().then(() => (idle = true));
    expect(idle).toBe(false);
    await pending;
    await waiting;
    expect(idle).toBe(true);
  });
});
