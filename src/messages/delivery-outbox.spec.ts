import { DeliveryOutbox } from './delivery-outbox';

describe('DeliveryOutbox entries', () => {
  it('reads batch id, recording time and message ids back from an entry', () => {
    const entry = 'b1a7c0de-0000-4000-8000-000000000001|1796160000000|m1,m2';
    expect(DeliveryOutbox.batchIdOf(entry)).toBe('b1a7c0de-0000-4000-8000-000000000001');
    expect(DeliveryOutbox.recordedAtOf(entry)).toBe(1796160000000);
    expect(DeliveryOutbox.idsOf(entry)).toEqual(['m1', 'm2']);
  });

  it("reads the previous version's entries (no recording time) as old, with their ids", () => {
    const entry = 'b1a7c0de-0000-4000-8000-000000000002|m3';
    expect(DeliveryOutbox.recordedAtOf(entry)).toBe(0);
    expect(DeliveryOutbox.idsOf(entry)).toEqual(['m3']);
  });
});
