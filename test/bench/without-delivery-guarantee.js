/**
 * Preloaded into the app by `npm run bench -- --without-delivery-guarantee`, and only there: takes out what
 * makes "committed" imply "delivered live" (see src/messages/delivery-outbox.ts), so that a run with and one
 * without show what the guarantee costs. The outbox keeps no entries (no ZADD before or beside the statement, no ZREM
 * after the publication, nothing to sweep) and the send statement writes no fence row. Never used by tests
 * or by the product.
 */
const { randomUUID } = require('crypto');
const { join } = require('path');

const dist = join(__dirname, '..', '..', 'dist');
const { DeliveryOutbox } = require(join(dist, 'messages', 'delivery-outbox.js'));
const entryOf = (ids) => `${randomUUID()}|${Date.now()}|${ids.join(',')}`;
DeliveryOutbox.prototype.record = async (ids) => entryOf(ids);
DeliveryOutbox.prototype.begin = (ids) => ({ entry: entryOf(ids), recorded: Promise.resolve() });
DeliveryOutbox.prototype.ack = async () => undefined;
DeliveryOutbox.prototype.claimStale = async () => [];

// The fence is the first CTE of the send statement, with the batch id as its only use of $6.
const FENCE = /fence AS \(\s*INSERT INTO send_fences \(batch_id\) VALUES \(\$6::uuid\)\s*\),\s*/;
const { Pool } = require(require.resolve('pg', { paths: [dist] }));
const query = Pool.prototype.query;
let fenceSeen = false;
Pool.prototype.query = function (config, ...rest) {
  if (config && config.name === 'messages-send-batch') {
    if (!FENCE.test(config.text)) throw new Error('without-delivery-guarantee: the send statement changed');
    fenceSeen = true;
    config = {
      ...config,
      name: 'messages-send-batch-unfenced',
      text: config.text.replace(FENCE, ''),
      values: config.values.slice(0, 5),
    };
  }
  return query.call(this, config, ...rest);
};
process.on('exit', () => {
  if (!fenceSeen) console.error('without-delivery-guarantee: no send statement went through the patch');
});
