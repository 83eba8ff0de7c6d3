import { LoadDriver } from './load-driver';
import { FaultStack } from './stack';

export interface StoredMessage {
  id: string;
  chatId: string;
  seq: number;
  senderId: string;
  clientMsgId: string;
  createdAt: number;
}

/** What the private database says about the driver's chats, against what the driver sent and was told. */
export interface StorageReport {
  generated: number;
  acked: number;
  stored: StoredMessage[];
  /** Generated but not stored: lost. */
  lost: string[];
  /** Neither acknowledged nor rejected by the end of the drain. */
  unacked: string[];
  /** Given up on: a non-retryable error code. */
  rejected: { clientMsgId: string; code: string }[];
  /** Acknowledged but absent, or acknowledged with another id or seq than the stored row. */
  ackedNotStored: { clientMsgId: string; ackedId: string; storedId?: string }[];
  /** Stored without the driver having sent it (another test's rows would be a harness bug). */
  unexpected: string[];
  duplicateRows: { senderId: string; clientMsgId: string; rows: number }[];
  /** Chats whose seqs are not exactly 1..n, or whose last_seq is not n. */
  seqProblems: {
    chatId: string;
    rows: number;
    distinct: number;
    min: number;
    max: number;
    lastSeq: number;
  }[];
}

export async function checkStorage(stack: FaultStack, driver: LoadDriver): Promise<StorageReport> {
  const chatIds = [...new Set(driver.outgoing.map((o) => o.pair.chatId))];
  const rows = await stack.query<{
    id: string;
    chat_id: string;
    seq: number;
    sender_id: string;
    client_msg_id: string;
    created_at: Date;
  }>(`SELECT id, chat_id, seq, sender_id, client_msg_id, created_at FROM messages WHERE chat_id = ANY($1)`, [
    chatIds,
  ]);
  const stored: StoredMessage[] = rows.map((r) => ({
    id: r.id,
    chatId: r.chat_id,
    seq: r.seq,
    senderId: r.sender_id,
    clientMsgId: r.client_msg_id,
    createdAt: r.created_at.getTime(),
  }));
  const byClientId = new Map<string, StoredMessage[]>();
  for (const m of stored)
    byClientId.set(`${m.senderId}/${m.clientMsgId}`, [
      ...(byClientId.get(`${m.senderId}/${m.clientMsgId}`) ?? []),
      m,
    ]);

  const generated = new Set(driver.outgoing.map((o) => `${o.pair.sender.id}/${o.clientMsgId}`));
  const report: StorageReport = {
    generated: driver.outgoing.length,
    acked: driver.outgoing.filter((o) => o.acked).length,
    stored,
    lost: [],
    unacked: [],
    rejected: [],
    ackedNotStored: [],
    unexpected: stored
      .filter((m) => !generated.has(`${m.senderId}/${m.clientMsgId}`))
      .map((m) => m.clientMsgId),
    duplicateRows: [],
    seqProblems: [],
  };
  for (const o of driver.outgoing) {
    const found = byClientId.get(`${o.pair.sender.id}/${o.clientMsgId}`) ?? [];
    if (found.length === 0) report.lost.push(o.clientMsgId);
    if (found.length > 1)
      report.duplicateRows.push({
        senderId: o.pair.sender.id,
        clientMsgId: o.clientMsgId,
        rows: found.length,
      });
    if (o.rejected) report.rejected.push({ clientMsgId: o.clientMsgId, code: o.rejected });
    else if (!o.acked) report.unacked.push(o.clientMsgId);
    if (o.acked && !found.some((m) => m.id === o.acked!.id && m.seq === o.acked!.seq))
      report.ackedNotStored.push({ clientMsgId: o.clientMsgId, ackedId: o.acked.id, storedId: found[0]?.id });
  }

  const seqs = await stack.query<{
    chat_id: string;
    rows: number;
    distinct: number;
    min: number;
    max: number;
    last_seq: number;
  }>(
    `SELECT c.id AS chat_id, c.last_seq, count(m.id)::int AS rows, count(DISTINCT m.seq)::int AS distinct,
            coalesce(min(m.seq), 0) AS min, coalesce(max(m.seq), 0) AS max
       FROM chats c LEFT JOIN messages m ON m.chat_id = c.id
      WHERE c.id = ANY($1) GROUP BY c.id`,
    [chatIds],
  );
  for (const s of seqs) {
    const exact =
      s.rows === s.distinct && s.max === s.rows && s.last_seq === s.rows && (s.rows === 0 || s.min === 1);
    if (!exact)
      report.seqProblems.push({
        chatId: s.chat_id,
        rows: s.rows,
        distinct: s.distinct,
        min: s.min,
        max: s.max,
        lastSeq: s.last_seq,
      });
  }
  return report;
}

/** Counts of each problem, plus the first few cases of each non-empty one: a readable failure message. */
export function problems(lists: Record<string, unknown[]>): Record<string, unknown> {
  const counts: Record<string, unknown> = {};
  const examples: Record<string, unknown[]> = {};
  for (const [name, list] of Object.entries(lists)) {
    counts[name] = list.length;
    if (list.length) examples[name] = list.slice(0, 5);
  }
  return { ...counts, examples };
}

export function noProblems(names: string[]): Record<string, unknown> {
  return { ...Object.fromEntries(names.map((n) => [n, 0])), examples: {} };
}

/** The storage guarantees every fault test asserts: 0 lost, 0 duplicate rows, 0 seq gaps, acked = stored. */
export function expectStorageGuarantees(report: StorageReport): void {
  expect(report.generated).toBeGreaterThan(0);
  const lists = {
    lost: report.lost,
    unacked: report.unacked,
    rejected: report.rejected,
    duplicateRows: report.duplicateRows,
    seqProblems: report.seqProblems,
    ackedNotStored: report.ackedNotStored,
    unexpected: report.unexpected,
  };
  expect(problems(lists)).toEqual(noProblems(Object.keys(lists)));
  expect(report.stored.length).toBe(report.generated);
}

/** Every stored message reached its receiver live, by its deadline; the receivers never disconnected. */
export function expectLiveDelivery(
  report: StorageReport,
  driver: LoadDriver,
  deadline: (m: StoredMessage) => number,
): DeliveryReport {
  const delivery = checkLiveDelivery(report, driver, deadline);
  const lists = {
    receiverDisconnects: receiverDisconnects(driver),
    neverDelivered: delivery.missing,
    late: delivery.late,
  };
  expect(problems(lists)).toEqual(noProblems(Object.keys(lists)));
  return delivery;
}

export interface DeliveryReport {
  /** Stored messages the chat's receiver never got as `message:new`. */
  missing: { clientMsgId: string; seq: number; createdAt: string }[];
  /** Got, but after the deadline. */
  late: { clientMsgId: string; lateByMs: number }[];
  /** How many messages arrived more than once (allowed: clients de-duplicate by id). */
  duplicates: number;
}

/**
 * Live delivery: every stored message reached its chat's receiver as `message:new` (no history refetch)
 * by `deadline(message)`, a time in ms since the epoch.
 */
export function checkLiveDelivery(
  report: StorageReport,
  driver: LoadDriver,
  deadline: (m: StoredMessage) => number,
): DeliveryReport {
  const receiverOf = new Map(driver.outgoing.map((o) => [o.pair.chatId, o.pair.receiver.id]));
  const result: DeliveryReport = { missing: [], late: [], duplicates: 0 };
  for (const m of report.stored) {
    const got = driver.received.get(receiverOf.get(m.chatId)!)?.get(m.id);
    if (!got) {
      result.missing.push({
        clientMsgId: m.clientMsgId,
        seq: m.seq,
        createdAt: new Date(m.createdAt).toISOString(),
      });
      continue;
    }
    if (got.copies > 1) result.duplicates += 1;
    if (got.at > deadline(m))
      result.late.push({ clientMsgId: m.clientMsgId, lateByMs: got.at - deadline(m) });
  }
  return result;
}

/** Receivers must have stayed connected for "live" to mean anything: their disconnects, if any. */
export function receiverDisconnects(driver: LoadDriver): { user: string; at: number; detail: unknown }[] {
  return driver.events
    .filter((e) => e.role === 'receiver' && e.type === 'disconnect')
    .map((e) => ({ user: e.user, at: e.at, detail: e.detail }));
}

/** Waits until every stored message has reached its receiver, or until `until` (ms since epoch). */
export async function waitForDeliveries(stack: FaultStack, driver: LoadDriver, until: number): Promise<void> {
  while (Date.now() < until) {
    const report = await checkStorage(stack, driver);
    if (checkLiveDelivery(report, driver, () => Infinity).missing.length === 0) return;
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** One line of figures per scenario on the terminal (not Jest's console): what the run did, for the record. */
export function printFigures(scenario: string, figures: Record<string, unknown>): void {
  process.stdout.write(`[faults] ${scenario}: ${JSON.stringify(figures)}\n`);
}

/** The usual figures of a load scenario. */
export function loadFigures(
  report: StorageReport | undefined,
  driver: LoadDriver | undefined,
): Record<string, unknown> {
  if (!report || !driver) return { incomplete: true };
  const delivery = checkLiveDelivery(report, driver, () => Infinity);
  return {
    messages: report.generated,
    stored: report.stored.length,
    lost: report.lost.length,
    duplicateRows: report.duplicateRows.length,
    seqProblems: report.seqProblems.length,
    neverDelivered: delivery.missing.length,
    deliveredTwice: delivery.duplicates,
    attempts: driver.outcomeCounts(),
  };
}

/** Messages whose createdAt is earlier than their predecessor's in the same chat (seq order). */
export function createdAtInversions(
  report: StorageReport,
): { chatId: string; seq: number; earlierByMs: number }[] {
  const byChat = new Map<string, StoredMessage[]>();
  for (const m of report.stored) byChat.set(m.chatId, [...(byChat.get(m.chatId) ?? []), m]);
  const inversions: { chatId: string; seq: number; earlierByMs: number }[] = [];
  for (const [chatId, messages] of byChat) {
    messages.sort((x, y) => x.seq - y.seq);
    for (let i = 1; i < messages.length; i++)
      if (messages[i].createdAt < messages[i - 1].createdAt)
        inversions.push({
          chatId,
          seq: messages[i].seq,
          earlierByMs: messages[i - 1].createdAt - messages[i].createdAt,
        });
  }
  return inversions;
}
