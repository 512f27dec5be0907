import { ExternalPeer } from '../../lib/core';
import { ObjectStorage, S3Auth } from '../../lib/object-storage';
import { PodVolume, Worker } from '../../lib/workload';
import { newRelease, Template } from '../support';
import { HTTP_CONTAINER } from './fixtures';

const S3 = () => ObjectStorage.s3({
  bucket: 'bkt-media',
  auth: S3Auth.workloadIdentity({ roleArn: 'arn:aws:iam::123456789012:role/media' }),
  peer: ExternalPeer.cidr({ cidrs: ['10.30.8.0/24'], reason: 'the S3 interface endpoint' }),
});

describe('workload pod options', () => {
  test("a connection's workload identity reaches the pod's own ServiceAccount (it was dropped before)", () => {
    const r = newRelease();
    new Worker(r, 'W', { name: 'uploader', container: HTTP_CONTAINER, connections: [S3()] });
    const t = Template.verified(r);
    const spec = t.podSpec('Deployment', 'uploader');
    expect(spec.serviceAccountName).toBe('uploader');
    expect(t.find('ServiceAccount', 'uploader').metadata.annotations).toMatchObject({ 'eks.amazonaws.com/role-arn': 'arn:aws:iam::123456789012:role/media' });
  });

  test('fails when serviceAccount.annotations sets a key a connection owns to another value', () => {
    const r = newRelease();
    expect(() => new Worker(r, 'W', {
      name: 'uploader', container: HTTP_CONTAINER, connections: [S3()],
      serviceAccount: { annotations: { 'eks.amazonaws.com/role-arn': 'arn:aws:iam::123456789012:role/other' } },
    })).toThrow(/serviceAccount\.annotations\.eks\.amazonaws\.com\/role-arn.*role\/other.*role\/media/s);
  });

  test("an init container's pull policy is its own; files volumes can be executable; policy exceptions reach the workload", () => {
    const r = newRelease();
    const scripts = PodVolume.files('scripts', { 'run.sh': '#!/bin/sh\necho hi\n' }, { executable: true });
    new Worker(r, 'W', {
      name: 'runner',
      container: { ...HTTP_CONTAINER, readinessProbe: undefined, livenessProbe: undefined, mounts: [{ volume: scripts, path: '/scripts' }] },
      initContainers: [{ name: 'prepare', image: 'busybox:1.36.1', imagePullPolicy: 'Never', command: ['true'] }],
      policyExceptions: [{ rule: 'probes', reason: 'serves nothing a probe could ask' }],
    });
    const t = Template.verified(r);
    const d = t.find('Deployment', 'runner');
    expect(d.spec.template.spec.initContainers[0].imagePullPolicy).toBe('Never');
    expect(d.spec.template.spec.volumes.find((v: any) => v.name === 'scripts').configMap.defaultMode).toBe(0o555);
    expect(d.metadata.annotations['policy.ops-kit.io/probes']).toBe('serves nothing a probe could ask');
  });
});
