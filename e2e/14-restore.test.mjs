// Issue 19, point 5: the restore drill (chaos/drills/restore.mjs, also `make chaos
// CHAOS_DRILLS=restore`): a point-in-time restore brings back exactly the items of that time, at
// their versions, through the cache fence; a lost PostgreSQL volume comes back with every write
// acknowledged more than the RPO before the loss.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { restoreDrill } from '../chaos/drills/restore.mjs';
import { restoreInstances } from './lib/stack.mjs';

test('make restore AT=T brings back the state at T; after the volume is lost, make restore brings back every acknowledged write', { timeout: 1_800_000 }, async () => {
  try {
    const { broken, numbers } = await restoreDrill();
    assert.deepEqual(broken, [], `broken promises (numbers: ${JSON.stringify(numbers)})`);
    assert.ok(numbers.acknowledged > 0, 'the writers got no write acknowledged before the loss: the volume-loss half proved nothing');
  } finally {
    // A failed restore leaves PostgreSQL down: say so without hiding the drill's own error.
    await restoreInstances().catch((e) => console.error(`could not start the instances again: ${e.message.split('\n')[0]}`));
  }
});
