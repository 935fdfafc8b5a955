import assert from 'node:assert/strict';
import { classifyContainer, commitCandidates, sweepVerdict, throwawayLabels, LABEL_OWNER_START, type OwnerIdentity } from '../../src/core/labels';

const self: OwnerIdentity = { sessionId: 'me', pid: 100, hostname: 'h1', startTicks: '555' };
const other: OwnerIdentity = { sessionId: 'other', pid: 200, hostname: 'h1', startTicks: '777' };

describe('core/labels', () => {
  it('classifies throwaway and pooled containers, ignores the rest', () => {
    assert.equal(classifyContainer(throwawayLabels(other, 'transaction')), 'throwaway');
    assert.equal(classifyContainer(throwawayLabels(other, 'shell')), 'throwaway');
    assert.equal(classifyContainer(throwawayLabels(other, 'pool', new Date(), 'busybox:latest')), 'pooled');
    assert.equal(classifyContainer({ 'com.example': 'x' }), undefined);
    assert.equal(classifyContainer(null), undefined);
  });

  it('sweep keeps our own session and live owners, removes dead and reused pids', () => {
    const labels = throwawayLabels(other, 'transaction');
    assert.deepEqual(sweepVerdict(throwawayLabels(self, 'pool', new Date(), 'x'), self, () => undefined), { action: 'keep', reason: 'own-session' });
    assert.deepEqual(sweepVerdict(labels, self, (pid) => (pid === 200 ? '777' : undefined)), { action: 'keep', reason: 'owner-alive' });
    assert.deepEqual(sweepVerdict(labels, self, () => undefined), { action: 'remove', reason: 'owner-dead' });
    assert.deepEqual(sweepVerdict(labels, self, () => '999'), { action: 'remove', reason: 'owner-pid-reused' });
    // start time unknown on either side: trust the live pid
    assert.deepEqual(sweepVerdict({ ...labels, [LABEL_OWNER_START]: '' }, self, () => '999'), { action: 'keep', reason: 'owner-alive' });
  });

  it('sweep never touches containers of another host, and removes ownerless ones', () => {
    assert.deepEqual(sweepVerdict(throwawayLabels({ ...other, hostname: 'h2' }, 'shell'), self, () => undefined), { action: 'keep', reason: 'other-host' });
    assert.deepEqual(sweepVerdict({ 'io.container-lineage.throwaway': 'x' }, self, () => '1'), { action: 'remove', reason: 'no-owner' });
  });

  it('the commit picker leaves warm-pool, transaction and session containers out, keeps throwaway shells and ordinary ones', () => {
    const list = [
      { Id: 'pooled', Labels: throwawayLabels(self, 'pool', new Date(), 'busybox:latest') },
      { Id: 'transaction', Labels: throwawayLabels(self, 'transaction') },
      { Id: 'session', Labels: throwawayLabels(self, 'session') },
      { Id: 'plain', Labels: { 'com.example': 'x' } },
      { Id: 'shell', Labels: throwawayLabels(self, 'shell') },
      { Id: 'unlabelled', Labels: null },
    ];
    assert.deepEqual(commitCandidates(list).map((c) => c.Id), ['plain', 'shell', 'unlabelled']);
  });
});
