// A command started from an Images-view row acts on the tag the row shows (walk finding: the row
// "busybox:latest +1" ran its transactions on the image's other tag, the engine's repoTags[0]).
import { strict as assert } from 'node:assert';
import { bestRepoTag, bestTag, type ImageRecord } from '../../src/core/lineage';
import { decideRemoval } from '../../src/core/removal';

const image = (repoTags: string[], names?: string[]): ImageRecord =>
  ({ id: 'sha256:' + 'a'.repeat(64), repoTags, repoDigests: [], names, parentId: '', layers: [], created: 0, size: 0, labels: {} }) as unknown as ImageRecord;

describe('bestRepoTag: the full tag behind the row', () => {
  it('is the tag the row shows, not the engine\'s first tag', () => {
    const img = image(['foreign-user/base:777', 'busybox:latest']);
    assert.equal(bestTag(img), 'busybox:latest');
    assert.equal(bestRepoTag(img), 'busybox:latest');
  });

  it('maps a shown short name back to the engine\'s full name (Podman localhost/)', () => {
    const img = image(['localhost/zz/a-much-longer-name:2', 'localhost/team/base:1'], ['zz/a-much-longer-name:2', 'team/base:1']);
    assert.equal(bestTag(img), 'team/base:1');
    assert.equal(bestRepoTag(img), 'localhost/team/base:1');
  });

  it('shortest, then alphabetical, when no tag is :latest; undefined when dangling', () => {
    assert.equal(bestRepoTag(image(['b/x:1', 'a/x:1', 'lineage-sample/child:1.0'])), 'a/x:1');
    assert.equal(bestRepoTag(image([])), undefined);
  });

  it('Remove Image on a row untags the tag the row shows', () => {
    const node = { image: image(['foreign-user/base:777', 'busybox:latest']), children: [], containers: [] } as never;
    const d = decideRemoval(node);
    assert.equal(d.kind, 'untag');
    assert.equal((d as { tag: string }).tag, 'busybox:latest');
  });
});
