import { buildLineage } from '../src/core/lineage';
import { syntheticForest } from '../test/unit/fixtures/lineage/synthetic';
const images = syntheticForest(50000, 42);
buildLineage(images);
for (let i = 0; i < 3; i++) { const t = process.hrtime.bigint(); buildLineage(images); console.log(Number(process.hrtime.bigint() - t) / 1e6); }
