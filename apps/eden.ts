import { App } from 'cdk8s';
import { ExternalPeer } from '../lib/core';
import {
  AppTier, EdenBlobs, EdenDatabase, EdenExperiment, EdenExperimentConfig, EdenExperimentProps, EdenIdentities, EdenIdentity,
} from '../lib/eden';
import { DeliveryTarget } from '../lib/gitops';
import { GcsAuth, ObjectStorage, S3Auth } from '../lib/object-storage';
import { PostgresTls } from '../lib/postgres';
import { Release } from '../lib/release';
import { IngressTls } from '../lib/workload';
import { edenDelivery } from './delivery';
import type { ExampleApp } from './registry';

/** The experiment every example runs (an id the task store minted). */
export const EDEN_EXPERIMENT_ID = 'exp_01hz3k8q9v5t7m2n4p6r8s0w2x';
/** The seed commit the repo-init Job printed. */
export const EDEN_BASE_COMMIT = '3f1c2a9e8b7d6c5f4e3a2b1c0d9e8f7a6b5c4d3e';
/** The eden-reference image the operator pushed. */
export const EDEN_IMAGE = { repository: 'ghcr.io/acme/eden-reference', tag: '0.13.0' } as const;

/** The experiment config, verbatim (the fixture's settings: three variants in total, one in parallel). */
export const EDEN_CONFIG = `# EDEN experiment config (experiment-config.schema.json)
parallel_variants: 1
evaluation_schema:
  score: real
objective:
  expr: "score"
  direction: "maximize"
ideation_policy:
  kind: fixed_total
  total: 3
`;

/** The minted identities of a single-orchestrator experiment (each token in its own operator-created Secret). */
export function edenIdentities(orchestrators = 1): EdenIdentities {
  const orchestrator = orchestrators === 1
    ? EdenIdentity.of({ workerId: 'wkr_01hz3m0a1b2c3d4e5f6g7h8j9k', tokenSecret: 'eden-orchestrator-identity' })
    : EdenIdentity.perReplica(Array.from({ length: orchestrators }, (_, i) => ({
      workerId: `wkr_01hz3m0a1b2c3d4e5f6g7h8j${i}m`, tokenSecret: `eden-orchestrator-${i}-identity`,
    })));
  return {
    orchestrator,
    webUi: EdenIdentity.of({ workerId: 'wkr_01hz3m1a1b2c3d4e5f6g7h8j9k', tokenSecret: 'eden-web-ui-identity' }),
    ideatorHost: EdenIdentity.of({ workerId: 'wkr_01hz3m2a1b2c3d4e5f6g7h8j9k', tokenSecret: 'eden-ideator-host-identity' }),
    executorHost: EdenIdentity.of({ workerId: 'wkr_01hz3m3a1b2c3d4e5f6g7h8j9k', tokenSecret: 'eden-executor-host-identity' }),
    evaluatorHost: EdenIdentity.of({ workerId: 'wkr_01hz3m4a1b2c3d4e5f6g7h8j9k', tokenSecret: 'eden-evaluator-host-identity' }),
  };
}

/** What every example shares: the image, the experiment, the Secrets, the in-cluster database. */
export function edenBase(): Omit<EdenExperimentProps, 'appTier'> {
  return {
    name: 'eden',
    image: EDEN_IMAGE,
    experiment: { id: EDEN_EXPERIMENT_ID, config: EdenExperimentConfig.text(EDEN_CONFIG) },
    secrets: { app: 'eden-app', forgejo: 'eden-forgejo' },
    database: EdenDatabase.inCluster({ secretName: 'eden-postgres' }),
  };
}

const INGRESS = { hosts: ['eden.example.com'], className: 'nginx', tls: IngressTls.certManager({ clusterIssuer: 'letsencrypt-prod' }) };

/**
 * The EDEN reference deployment in its four shapes, by release name: the bootstrap phase (the task store runs,
 * identities not minted yet), the ready single-experiment deployment behind an Ingress, lease mode with three
 * orchestrators and S3 blobs, and a managed Postgres over verify-full TLS with GCS blobs. Every object is named
 * `eden-*` whatever the release, so one shape can be checked as an in-place upgrade of another.
 */
export const EDEN_PROFILES: Readonly<Record<string, () => EdenExperimentProps>> = {
  'eden-bootstrap': () => ({ ...edenBase(), appTier: AppTier.pending({ baseCommitSha: EDEN_BASE_COMMIT }) }),
  'eden': () => ({
    ...edenBase(),
    appTier: AppTier.ready({ baseCommitSha: EDEN_BASE_COMMIT, identities: edenIdentities() }),
    webUiIngress: INGRESS,
  }),
  'eden-lease': () => ({
    ...edenBase(),
    appTier: AppTier.ready({ baseCommitSha: EDEN_BASE_COMMIT, identities: edenIdentities(3) }),
    leaseMode: {},
    replicas: { orchestrator: 3 },
    blobs: EdenBlobs.bucket(ObjectStorage.s3({
      bucket: 'acme-eden-artifacts',
      region: 'eu-central-1',
      prefix: 'eden/',
      // Through the VPC's S3 interface endpoint (PrivateLink): no internet egress, and a NetworkPolicy peer that
      // names one subnet instead of every address.
      endpointUrl: 'https://bucket.vpce-0a1b2c3d4e5f6a7b8-eden.s3.eu-central-1.vpce.amazonaws.com',
      forcePathStyle: false,
      auth: S3Auth.workloadIdentity({ roleArn: 'arn:aws:iam::123456789012:role/eden-task-store' }),
      peer: ExternalPeer.cidr({ cidrs: ['10.30.8.0/24'], reason: 'the subnet of the VPC S3 interface endpoint' }),
    })),
    webUiIngress: INGRESS,
  }),
  'eden-external-db': () => ({
    ...edenBase(),
    appTier: AppTier.ready({ baseCommitSha: EDEN_BASE_COMMIT, identities: edenIdentities() }),
    database: EdenDatabase.external({
      host: 'eden-db.corp.example',
      database: 'eden',
      url: { name: 'eden-store-dsn', key: 'EDEN_STORE_URL' },
      tls: PostgresTls.verifyFull({ name: 'eden-db-ca', key: 'ca.crt' }),
      peer: ExternalPeer.cidr({ cidrs: ['10.20.0.0/24'], reason: 'the managed database subnet' }),
    }),
    blobs: EdenBlobs.bucket(ObjectStorage.gcs({
      bucket: 'acme-eden-artifacts',
      auth: GcsAuth.keyFile({ secretName: 'eden-gcs-key' }),
      // Private Google Access: the VPC's DNS answers storage.googleapis.com with private.googleapis.com.
      peer: ExternalPeer.cidr({ cidrs: ['199.36.153.8/30'], reason: 'private.googleapis.com (Private Google Access)' }),
    })),
  }),
};

/** The four example releases, one namespace each (they coexist in the example cluster). */
export function buildEden(app: App, options: { readonly delivery?: DeliveryTarget } = {}): Release[] {
  return Object.entries(EDEN_PROFILES).map(([name, props]) => {
    const release = new Release(app, name, { namespace: name, delivery: options.delivery });
    new EdenExperiment(release, 'Eden', props());
    return release;
  });
}

export const edenApp: ExampleApp = {
  name: 'eden',
  description: 'EDEN reference deployment: bootstrap phase, ready, lease mode with S3 blobs, managed Postgres with GCS blobs',
  build: (app) => {
    buildEden(app, { delivery: edenDelivery() });
  },
};
