import { App, Size } from 'cdk8s';
import { ExternalPeer } from '../../lib/core';
import { edenBase, edenIdentities, EDEN_BASE_COMMIT } from '../../apps/eden';
import {
  AppTier, EDEN_MAX_NAME, EdenBlobs, EdenDatabase, EdenExperiment, EdenExperimentConfig, EdenExperimentProps, EdenIdentity,
} from '../../lib/eden';
import { GcsAuth, ObjectStorage, S3Auth } from '../../lib/object-storage';
import { PostgresTls } from '../../lib/postgres';
import { Release, renderApp, RenderedRelease } from '../../lib/release';
import { formatReport, verifyReleases } from '../../lib/verify';

const ANYWHERE = ExternalPeer.anywhere({ reason: 'cloud storage on public addresses' });
const READY = () => AppTier.ready({ baseCommitSha: EDEN_BASE_COMMIT, identities: edenIdentities() });

function render(props: Partial<EdenExperimentProps>, releaseName = 'eden'): RenderedRelease {
  const app = new App();
  new EdenExperiment(new Release(app, releaseName, { namespace: 'eden' }), 'Eden', { ...edenBase(), appTier: READY(), ...props } as EdenExperimentProps);
  return renderApp(app)[0];
}

/** Expects building with `props` to fail with a message naming `prop`, the value and what is allowed. */
function failsWith(props: Partial<EdenExperimentProps> | (() => Partial<EdenExperimentProps>), ...parts: Array<string | RegExp>): void {
  let message = '';
  try {
    render(typeof props === 'function' ? props() : props);
  } catch (e) {
    message = (e as Error).message;
  }
  expect(message).not.toBe('');
  for (const p of parts) expect(message).toMatch(typeof p === 'string' ? new RegExp(p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')) : p);
}

const pods = (r: RenderedRelease) => r.objects.filter((o) => ['Deployment', 'StatefulSet', 'Job'].includes(o.kind)).map((o: any) => ({ o, spec: o.spec.template.spec, meta: o.spec.template.metadata }));

describe('EdenExperiment rules', () => {
  test('fails when experiment.id is not a minted exp_ id', () => {
    failsWith({ experiment: { id: 'exp-1', config: EdenExperimentConfig.object({ parallel_variants: 1 }) } }, 'experiment.id', 'exp-1', '^exp_[0-9a-hjkmnp-tv-z]{26}$');
  });

  test('fails when experiment.config text is not YAML, or not a mapping; the same verdict each time a text is given', () => {
    for (let i = 0; i < 2; i++) {
      expect(() => EdenExperimentConfig.text('parallel_variants: [1\nobjective: x')).toThrow(
        /'experiment\.config' is "parallel_variants: \[1", but .*; allowed: valid YAML/,
      );
      expect(() => EdenExperimentConfig.text('- parallel_variants: 1\n')).toThrow(
        `'experiment.config' is "- parallel_variants: 1"; allowed: a YAML mapping (parallel_variants, evaluation_schema, objective, ...)`,
      );
      expect(() => EdenExperimentConfig.text('42')).toThrow(`'experiment.config' is "42"; allowed: a YAML mapping`);
      expect(() => EdenExperimentConfig.text('  \n')).toThrow(`'experiment.config' is "  \\n"; allowed: the YAML text of the experiment config`);
      expect(EdenExperimentConfig.text('parallel_variants: 1').text).toBe('parallel_variants: 1\n');
      expect(EdenExperimentConfig.text('# kept as written\nparallel_variants: 1\n').text).toBe('# kept as written\nparallel_variants: 1\n');
    }
  });

  test('fails when a worker id does not fit the 64-character worker-id grammar', () => {
    const long = `wkr_${'a'.repeat(61)}`;
    expect(() => EdenIdentity.of({ workerId: long, tokenSecret: 's' })._validate('appTier.identities.webUi')).toThrow(/appTier\.identities\.webUi\.workerId.*wkr_a+.*\^\[a-z0-9\]\[a-z0-9_-\]\{0,63\}\$/s);
    expect(() => AppTier.ready({ baseCommitSha: EDEN_BASE_COMMIT, identities: { ...edenIdentities(), webUi: EdenIdentity.of({ workerId: 'Web UI', tokenSecret: 's' }) } }))
      .toThrow(/appTier\.identities\.webUi\.workerId.*Web UI.*at most 64 characters/s);
  });

  test('fails when an identity is half set: a worker id without its token Secret', () => {
    expect(() => AppTier.ready({ baseCommitSha: EDEN_BASE_COMMIT, identities: { ...edenIdentities(), executorHost: EdenIdentity.of({ workerId: 'wkr_x' } as any) } }))
      .toThrow(/appTier\.identities\.executorHost\.tokenSecret.*undefined.*operator-created Secret/s);
    expect(() => AppTier.ready({ baseCommitSha: EDEN_BASE_COMMIT, identities: { orchestrator: edenIdentities().orchestrator } as any }))
      .toThrow(/appTier\.identities\.webUi.*EdenIdentity\.of/s);
  });

  test.each([
    ['taskStoreServer', 2, 'the task store is a singleton'],
    ['webUi', 2, 'operator singleton'],
    ['ideatorHost', 2, 'one fixed worker id'],
  ])('fails when replicas.%s is %d (at most 1)', (key, n, why) => {
    failsWith({ replicas: { [key]: n } }, `replicas.${key}`, String(n), '0 or 1', why);
  });

  test('fails when replicas.orchestrator is above 1 without lease mode', () => {
    failsWith({ replicas: { orchestrator: 3 }, appTier: AppTier.ready({ baseCommitSha: EDEN_BASE_COMMIT, identities: edenIdentities(3) }) },
      'replicas.orchestrator', '3', '1 without leaseMode');
  });

  test.each(['executorHost', 'evaluatorHost'] as const)('fails when replicas.%s is above 1 with one minted id shared by every replica', (key) => {
    failsWith({ replicas: { [key]: 2 } }, `appTier.identities.${key}`, 'wkr_', 'EdenIdentity.perReplica([...]) with 2 distinct minted worker ids', 'race on its credential');
  });

  test('replicas above 1 with one identity per replica: each pod installs its own token and runs as its own worker', () => {
    const identities = { ...edenIdentities(), executorHost: EdenIdentity.perReplica([{ workerId: 'wkr_exec0', tokenSecret: 'exec-0' }, { workerId: 'wkr_exec1', tokenSecret: 'exec-1' }]) };
    const r = render({ replicas: { executorHost: 2 }, appTier: AppTier.ready({ baseCommitSha: EDEN_BASE_COMMIT, identities }) });
    const sts = r.objects.find((o) => o.kind === 'StatefulSet' && o.metadata.name === 'eden-executor-host') as any;
    const script = sts.spec.template.spec.initContainers.find((c: any) => c.name === 'provision-credential').command[2];
    expect(script).toContain("0) worker='wkr_exec0'");
    expect(script).toContain("1) worker='wkr_exec1'");
    expect(sts.spec.template.spec.volumes.filter((v: any) => v.secret).map((v: any) => v.secret.secretName)).toEqual(['exec-0', 'exec-1']);
    expect(sts.spec.template.spec.containers[0].command.slice(0, 3)).toEqual(['sh', '-c', 'exec "$@" --worker-id "$(cat /var/lib/eden/credentials/worker-id)"']);
    expect(() => AppTier.ready({ baseCommitSha: EDEN_BASE_COMMIT, identities: { ...identities, executorHost: EdenIdentity.perReplica([{ workerId: 'wkr_a', tokenSecret: 'a' }, { workerId: 'wkr_a', tokenSecret: 'b' }]) } }))
      .toThrow(/appTier\.identities\.executorHost\[1\]\.workerId.*wkr_a.*no other replica/s);
  });

  test('fails when external Postgres is combined with lease mode', () => {
    failsWith({
      leaseMode: {},
      database: EdenDatabase.external({ host: 'db.example', database: 'eden', url: { name: 'dsn', key: 'url' }, tls: PostgresTls.verifyFull({ name: 'ca', key: 'ca.crt' }) }),
    }, 'leaseMode', 'enabled', 'leaseMode with EdenDatabase.inCluster(...) only', 'eden_control_plane');
  });

  test('fails when TLS is asked of the in-cluster Postgres (TLS only with external Postgres)', () => {
    expect(() => EdenDatabase.inCluster({ secretName: 'pg', tls: PostgresTls.verifyFull({ name: 'ca', key: 'ca.crt' }) } as any))
      .toThrow(/database\.tls.*verify-full.*no TLS for the in-cluster database/s);
  });

  test('fails when external Postgres is not verified (verify-ca or verify-full with a CA Secret)', () => {
    expect(() => EdenDatabase.external({ host: 'db.example', database: 'eden', url: { name: 'dsn', key: 'url' }, tls: PostgresTls.require() }))
      .toThrow(/database\.tls.*require.*PostgresTls\.verifyFull\(ca\) or PostgresTls\.verifyCa\(ca\)/s);
  });

  test('fails when the blob store has more than one auth path or none (one blob auth path)', () => {
    expect(() => ObjectStorage.s3({ bucket: 'bkt-eden', auth: { roleArn: 'arn:aws:iam::123456789012:role/x', secretName: 'keys' } as any }))
      .toThrow(/storage\.auth.*roleArn.*secretName.*exactly one auth path.*S3Auth\.workloadIdentity\(\{ roleArn \}\) or S3Auth\.keys\(\{ secretName \}\)/s);
    expect(() => EdenBlobs.bucket(ObjectStorage.file(undefined as any))).toThrow(/storage\.claim/);
    const keys = render({ blobs: EdenBlobs.bucket(ObjectStorage.gcs({ bucket: 'bkt', auth: GcsAuth.keyFile({ secretName: 'gcs-key' }), peer: ANYWHERE })) });
    const store = keys.objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'eden-task-store-server') as any;
    expect(store.spec.template.spec.serviceAccountName).toBeUndefined();
    // The key file's Secret is part of the rollout checksum: pointing the store at another Secret restarts it.
    const other = render({ blobs: EdenBlobs.bucket(ObjectStorage.gcs({ bucket: 'bkt', auth: GcsAuth.keyFile({ secretName: 'gcs-key-v2' }), peer: ANYWHERE })) });
    const sum = (r: RenderedRelease) => (r.objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'eden-task-store-server') as any).spec.template.metadata.annotations['checksum/secrets'];
    expect(sum(other)).not.toBe(sum(keys));
    const wi = render({ blobs: EdenBlobs.bucket(ObjectStorage.s3({ bucket: 'bkt', auth: S3Auth.workloadIdentity({ roleArn: 'arn:aws:iam::123456789012:role/x' }), peer: ANYWHERE })) });
    const c = (wi.objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'eden-task-store-server') as any).spec.template.spec.containers[0];
    expect(c.env.map((e: any) => e.name)).not.toContain('AWS_ACCESS_KEY_ID');
  });

  test('fails when maxQuiescentIterations is 1 (allowed: 0 or at least 2)', () => {
    failsWith({ maxQuiescentIterations: 1 }, 'maxQuiescentIterations', '1', '0 (never exit on quiescence) or an integer of at least 2');
    const r = render({ maxQuiescentIterations: 0 });
    const orch = r.objects.find((o) => o.kind === 'StatefulSet' && o.metadata.name === 'eden-orchestrator') as any;
    const args: string[] = orch.spec.template.spec.containers[0].args;
    expect(args[args.indexOf('--max-quiescent-iterations') + 1]).toBe('0');
  });

  test('fails when name is longer than EDEN_MAX_NAME; every rendered name fits 63 for the longest accepted name and a long release name', () => {
    failsWith({ name: 'e'.repeat(EDEN_MAX_NAME + 1) }, 'name', 'e'.repeat(EDEN_MAX_NAME + 1));
    const check = (r: RenderedRelease) => {
      const names = r.objects.map((o) => o.metadata.name as string);
      for (const n of names) expect(n.length).toBeLessThanOrEqual(63);
      for (const o of r.objects.filter((x) => x.kind === 'StatefulSet')) expect((o.metadata.name as string).length).toBeLessThanOrEqual(52);
      expect(new Set(r.objects.map((o) => `${o.kind}/${o.metadata.name}`)).size).toBe(r.objects.length);
    };
    check(render({ name: 'e'.repeat(EDEN_MAX_NAME), leaseMode: {} }));
    const a = render({ name: undefined }, `a-${'x'.repeat(60)}`);
    const b = render({ name: undefined }, `b-${'x'.repeat(60)}`);
    check(a);
    // Shortened with a hash, so two long release names never collide.
    expect(a.objects.map((o) => o.metadata.name)).not.toEqual(b.objects.map((o) => o.metadata.name));
  });

  test("each dependency image has its own pull policy: the app image's Never does not reach Postgres, Forgejo or the waits", () => {
    const r = render({ image: { repository: 'eden-reference', tag: 'dev', pullPolicy: 'Never' } });
    const containers = pods(r).flatMap(({ spec }) => [...(spec.initContainers ?? []), ...spec.containers]);
    for (const c of containers) {
      if (c.image.startsWith('eden-reference:')) expect([c.name, c.imagePullPolicy]).toEqual([c.name, 'Never']);
      else expect([c.name, c.imagePullPolicy]).toEqual([c.name, 'IfNotPresent']);
    }
    expect(containers.some((c) => c.image.startsWith('postgres:'))).toBe(true);
    expect(containers.some((c) => c.image.includes('forgejo'))).toBe(true);
  });

  test('rollout checksums on every app pod template change with the config, the credential helper and each Secret name', () => {
    const base = render({});
    const other = render({ experiment: { id: edenBase().experiment.id, config: EdenExperimentConfig.object({ parallel_variants: 2 }) } });
    const rotated = render({ appTier: AppTier.ready({ baseCommitSha: EDEN_BASE_COMMIT, identities: { ...edenIdentities(), webUi: EdenIdentity.of({ workerId: 'wkr_01hz3m1a1b2c3d4e5f6g7h8j9k', tokenSecret: 'eden-web-ui-identity-v2' }) } }) });
    const annotations = (r: RenderedRelease) => Object.fromEntries(pods(r).filter(({ o }) => !['eden-postgres', 'eden-forgejo'].includes(o.metadata.name)).map(({ o, meta }) => [o.kind === 'Job' ? o.metadata.name.replace(/-[0-9a-z]{8}$/, '') : o.metadata.name, meta.annotations]));
    const a = annotations(base);
    expect(Object.keys(a).sort()).toEqual(['eden-evaluator-host', 'eden-executor-host', 'eden-ideator-host', 'eden-orchestrator', 'eden-repo-init', 'eden-task-store-server', 'eden-web-ui']);
    for (const v of Object.values(a)) expect(Object.keys(v as object)).toEqual(expect.arrayContaining(['checksum/experiment-config', 'checksum/git-credential-helper', 'checksum/secrets']));
    expect(annotations(other)['eden-orchestrator']['checksum/experiment-config']).not.toBe(a['eden-orchestrator']['checksum/experiment-config']);
    expect(annotations(rotated)['eden-web-ui']['checksum/secrets']).not.toBe(a['eden-web-ui']['checksum/secrets']);
    expect(annotations(rotated)['eden-orchestrator']['checksum/secrets']).toBe(a['eden-orchestrator']['checksum/secrets']);
  });

  test('credentials are never generated: the release renders no Secret, and the notes list every one with its command', () => {
    const r = render({});
    expect(r.objects.filter((o) => o.kind === 'Secret')).toEqual([]);
    const notes = r.notes.join('\n');
    for (const s of ['eden-app', 'eden-forgejo', 'eden-postgres', 'eden-web-ui-identity', 'eden-orchestrator-identity']) expect(notes).toContain(s);
    expect(notes).toContain('create secret generic eden-app');
    expect(notes).toContain('create secret generic eden-postgres');
  });

  test('claims for Postgres, Forgejo, blobs and clones are kept on uninstall', () => {
    const r = render({});
    const kept = (a: Record<string, string> | undefined) => /Prune=false/.test(a?.['argocd.argoproj.io/sync-options'] ?? '');
    const blobs = r.objects.find((o) => o.kind === 'PersistentVolumeClaim' && o.metadata.name === 'eden-blobs') as any;
    expect(kept(blobs.metadata.annotations)).toBe(true);
    expect(blobs.metadata.annotations['helm.sh/resource-policy']).toBe('keep');
    for (const o of r.objects.filter((x) => x.kind === 'StatefulSet') as any[]) {
      expect(o.spec.volumeClaimTemplates.length).toBeGreaterThan(0);
      for (const t of o.spec.volumeClaimTemplates) expect([o.metadata.name, kept(t.metadata.annotations)]).toEqual([o.metadata.name, true]);
    }
  });

  test('the bring-up phases: pending without a seed renders the infrastructure and the repo-init Job only; with it, the task store too', () => {
    const ids = (r: RenderedRelease) => r.objects.filter((o) => ['Deployment', 'StatefulSet', 'Job'].includes(o.kind)).map((o) => `${o.kind}/${o.kind === 'Job' ? o.metadata.name.replace(/-[0-9a-z]{8}$/, '') : o.metadata.name}`).sort();
    expect(ids(render({ appTier: AppTier.pending() }))).toEqual(['Job/eden-repo-init', 'StatefulSet/eden-forgejo', 'StatefulSet/eden-postgres']);
    const seeded = render({ appTier: AppTier.pending({ baseCommitSha: EDEN_BASE_COMMIT }) });
    expect(ids(seeded)).toEqual(['Deployment/eden-task-store-server', 'Job/eden-repo-init', 'StatefulSet/eden-forgejo', 'StatefulSet/eden-postgres']);
    const notes = seeded.notes.join('\n');
    expect(notes).toMatch(/MINT THE IDENTITIES/);
    expect(notes).toMatch(/BEFORE READY, check/);
    expect(() => AppTier.pending({ baseCommitSha: 'main' })).toThrow(/appTier\.baseCommitSha.*main.*40 \(or 64\) lowercase hex/s);
  });

  test('the layout the seed fixed: clones in a child directory, fsGroup 1000, the config file URI, tokens where each service reads them', () => {
    const r = render({});
    for (const { o, spec } of pods(r).filter(({ o }) => o.metadata.name.startsWith('eden-') && !['eden-postgres'].includes(o.metadata.name))) {
      expect([o.metadata.name, spec.securityContext.fsGroup]).toEqual([o.metadata.name, 1000]);
    }
    const sts = (n: string) => (r.objects.find((o) => o.kind === 'StatefulSet' && o.metadata.name === n) as any).spec.template.spec;
    for (const n of ['eden-orchestrator', 'eden-executor-host', 'eden-evaluator-host', 'eden-web-ui']) {
      const c = sts(n).containers[0];
      expect(c.args[c.args.indexOf('--repo-path') + 1]).toBe('/var/lib/eden/clone/repo');
      expect(c.volumeMounts).toContainEqual({ name: 'repo', mountPath: '/var/lib/eden/clone' });
    }
    expect(sts('eden-web-ui').initContainers.find((c: any) => c.name === 'provision-credential').command[2])
      .toContain(`/var/lib/eden/credentials/${edenBase().experiment.id}/wkr_01hz3m1a1b2c3d4e5f6g7h8j9k.token`);
    expect(sts('eden-executor-host').initContainers.find((c: any) => c.name === 'provision-credential').command[2])
      .toContain('/var/lib/eden/credentials/wkr_01hz3m3a1b2c3d4e5f6g7h8j9k.token');
    const lease = render({ leaseMode: {}, blobs: EdenBlobs.file({ size: Size.gibibytes(5) }) });
    expect(lease.notes.join('\n')).toContain('"config_uri":"file:///etc/eden/experiment-config.yaml"');
    const reports = verifyReleases([lease]);
    if (!reports[0].ok) throw new Error(formatReport(reports[0]));
  });
});
