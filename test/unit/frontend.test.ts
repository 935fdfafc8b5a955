import * as assert from 'node:assert/strict';
import { parseDockerfile } from '../../src/core/dockerfile';
import { explainBuildError, frontendFor, unsupportedFeatures, FRONTEND_1_2_DIALECT } from '../../src/core/frontend';
import { CURRENT_DIALECT } from '../../src/core/dockerfileLines';

const ENGINE = { kind: 'docker', version: '20.10.24+dfsg1' } as const;
const BK = frontendFor('buildkit', ENGINE);
const model = (text: string) => parseDockerfile(text, { dialect: BK.dialect });

describe('Dockerfile frontend limits (core/frontend)', () => {
  it('the frontend by builder and engine: 1.2 on Docker 20.10, current from 23, unknown limits elsewhere', () => {
    assert.equal(BK.dialect, FRONTEND_1_2_DIALECT);
    assert.match(BK.label, /frontend 1\.2 built into Docker Engine 20\.10/);
    assert.equal(frontendFor('buildkit', { kind: 'docker', version: '27.3.1' }).dialect, CURRENT_DIALECT);
    assert.equal(frontendFor('buildkit', { kind: 'docker', version: '27.3.1' }).unsupported, undefined);
    assert.equal(frontendFor('buildah', { kind: 'podman', version: '4.3.1' }).unsupported, undefined, 'Buildah version unknown: the engine decides');
    assert.equal(frontendFor('buildah', { kind: 'podman', version: '4.9.3', builderVersion: '1.33.5' }).unsupported, undefined);
    assert.deepEqual([...frontendFor('buildah', { kind: 'podman', version: '4.6.1', builderVersion: '1.31.2' }).unsupported!], ['heredoc']);
    assert.ok(frontendFor('classic', ENGINE).unsupported!.has('run-mount'));
  });

  it('refuses before sending what the 20.10 frontend lacks, naming the feature, its line and what has it; RUN --mount passes', () => {
    const m = model('FROM busybox\nRUN --mount=type=cache,target=/c true\nCOPY --link a /a\nRUN --network=none true\nRUN <<EOF\necho hi\nEOF\nADD --checksum=sha256:0 a /a\n');
    const p = unsupportedFeatures(m, BK);
    assert.deepEqual(p.map((x) => [x.feature, x.line]), [['link', 2], ['run-network', 3], ['heredoc', 4], ['add-checksum', 7]]);
    assert.match(p[0]!.message, /^`--link` on COPY\/ADD \(line 3\) is not supported by the Dockerfile frontend 1\.2 built into Docker Engine 20\.10\.24\+dfsg1; it needs Dockerfile frontend 1\.4 or newer, built into Docker Engine 23\.0 and later\.$/);
    assert.match(p[2]!.message, /^Heredocs/);
    // a <<EOF without a terminator line is shell text on 1.2 (the engine builds it)
    assert.deepEqual(unsupportedFeatures(model('FROM busybox\nRUN cat <<EOF >/dev/null || true\n'), BK), []);
    // the classic builder lacks RUN --mount
    assert.match(unsupportedFeatures(model('FROM busybox\nRUN --mount=type=cache,target=/c true\n'), frontendFor('classic', ENGINE))[0]!.message, /`RUN --mount` \(line 2\).*needs BuildKit \(set containerLineage\.build\.builder to auto or buildkit\)/);
  });

  it('Buildah 1.28 (Podman 4.3.1, measured): heredocs and the newer flags refused before sending, RUN --mount and --chmod pass', () => {
    const bh = frontendFor('buildah', { kind: 'podman', version: '4.3.1', builderVersion: '1.28.2' });
    assert.equal(bh.label, 'Buildah 1.28.2 in Podman 4.3.1');
    const m = parseDockerfile('FROM busybox\nRUN --mount=type=tmpfs,target=/t true\nCOPY --chmod=600 a /a\nCOPY --link a /a\nRUN <<EOF\necho hi\nEOF\n', { dialect: bh.dialect });
    const p = unsupportedFeatures(m, bh);
    assert.deepEqual(p.map((x) => [x.feature, x.line]), [['link', 3], ['heredoc', 4]]);
    assert.equal(p[1]!.message, 'Heredocs (`<<EOF` in RUN, COPY, ADD) (line 5) is not supported by Buildah 1.28.2 in Podman 4.3.1; it needs Buildah 1.33 or newer (Podman 4.8 and later).');
    assert.match(p[0]!.message, /needs a newer Buildah than 1\.28\.2 \(or a Docker engine with BuildKit\)\.$/);
  });

  it('explains the engine\'s own errors (messages recorded from Docker Engine 20.10)', () => {
    const syntax = explainBuildError(
      'failed to solve with frontend dockerfile.v0: failed to solve with frontend gateway.v0: failed to do request: Head "https://registry-1.docker.io/v2/docker/dockerfile/manifests/1": dial tcp: lookup registry-1.docker.io on 10.255.255.53:53: no such host',
      model('# syntax=docker/dockerfile:1\nFROM busybox\n'),
      BK,
    )!;
    assert.equal(syntax.line, 0);
    assert.match(syntax.message, /`# syntax=docker\/dockerfile:1` directive \(line 1\) makes the engine fetch that frontend image from its registry, and it could not .*Remove the directive/);
    const link = explainBuildError('failed to solve with frontend dockerfile.v0: failed to create LLB definition: dockerfile parse error line 2: Unknown flag: link', model('FROM busybox\nCOPY --link a /a\n'), BK)!;
    assert.deepEqual([link.feature, link.line], ['link', 1]);
    const heredocBody = explainBuildError('failed to solve with frontend dockerfile.v0: failed to create LLB definition: dockerfile parse error line 3: unknown instruction: ECHO', parseDockerfile('FROM busybox\nRUN <<EOF\necho hi\nEOF\n', { dialect: FRONTEND_1_2_DIALECT }), BK)!;
    assert.deepEqual([heredocBody.feature, heredocBody.line], ['heredoc', 1]);
    const secret = explainBuildError('no active sessions', model('FROM busybox\nRUN --mount=type=secret,id=x cat /run/secrets/x\n'), BK)!;
    assert.match(secret.message, /need a BuildKit client session.*DOCKER_BUILDKIT=1 docker build/);
    const classic = explainBuildError('the --mount option requires BuildKit. Refer to https://docs.docker.com/go/buildkit/ to learn how to build images with BuildKit enabled', model('FROM busybox\nRUN --mount=type=cache,target=/c true\n'), frontendFor('classic', ENGINE))!;
    assert.deepEqual([classic.feature, classic.line], ['run-mount', 1]);
    const net = explainBuildError('network mode "bridge" not supported by buildkit', model('FROM busybox\n'), BK)!;
    assert.equal(net.line, undefined);
    assert.match(net.message, /only with the none, host or default network, not "bridge": set containerLineage\.build\.network/);
    assert.equal(explainBuildError('executor failed running [/bin/sh -c exit 3]: exit code: 3', model('FROM busybox\nRUN exit 3\n'), BK), undefined);
  });
});
