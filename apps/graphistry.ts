import { App, Size } from 'cdk8s';
import { ExternalPeer, NetworkPolicies, NodeSelection } from '../lib/core';
import { GraphistryStack, GraphistryStackProps, Postgres, StorageAccessMode, Tier } from '../lib/graphistry';
import { PostgresServer } from '../lib/postgres';
import { CaddyCookieSecret, CaddyLbFallback, CaddyRouteAuth, CaddyServiceType, CaddyTls } from '../lib/ingress';
import { Release } from '../lib/release';
import { DcgmExporterSource, TelemetryMode } from '../lib/telemetry';
import { graphistryDelivery } from './delivery';
import { DeliveryTarget } from '../lib/gitops';
import type { ExampleApp } from './registry';

/**
 * The single-node examples' Postgres runs as its own release outside this app (Crunchy PGO in `graphistry-db`); they
 * only connect to it (the multi-node example's is `graphistry-postgres`, below). The password
 * Secret is copied into each Graphistry namespace by the operator (or a secret manager).
 */
export const GRAPHISTRY_EXAMPLE_POSTGRES = {
  host: 'postgres-primary.graphistry-db.svc.cluster.local',
  port: 5432,
  database: 'graphistry',
  user: 'graphistry',
  passwordSecret: { name: 'graphistry-postgres', key: 'password' },
} as const;

/**
 * Who answers at that host, for the NetworkPolicy egress of every Postgres client: the primary's pod of the PGO
 * cluster `postgres` (PGO moves the `master` role label with a failover, and its `-primary` Service follows it).
 */
export const GRAPHISTRY_EXAMPLE_POSTGRES_PEER = ExternalPeer.pods({
  namespace: 'graphistry-db',
  selector: { 'postgres-operator.crunchydata.com/cluster': 'postgres', 'postgres-operator.crunchydata.com/role': 'master' },
  ports: [5432],
});

/**
 * The example cluster's own addresses, which its NetworkPolicies allow: the three control-plane nodes the API server
 * runs on (`kubectl get endpoints kubernetes -n default`) and the node network (NodePort traffic forwarded by
 * kube-proxy, host-network node-exporter).
 */
export const GRAPHISTRY_EXAMPLE_NETWORK = NetworkPolicies.defaultDeny({
  apiServer: ExternalPeer.cidr({ cidrs: ['10.20.0.10/32', '10.20.0.11/32', '10.20.0.12/32'], ports: [6443], reason: 'the control-plane nodes (kube-apiserver on 6443)' }),
  nodes: ExternalPeer.cidr({ cidrs: ['10.20.0.0/22'], reason: 'the node network' }),
});

/**
 * The Docker Hub pull secret (`kubernetes.io/dockerconfigjson`) every example release pulls with: Graphistry's images
 * come from its Docker Hub organisation with the pull credentials Graphistry issues. The operator creates it (the
 * notes print the command).
 */
export const GRAPHISTRY_PULL_SECRET = 'graphistry-dockerhub';

/** Settings every example release shares: external Postgres, operator-created crypto and cookie Secrets. */
function common(tier: Tier): Omit<GraphistryStackProps, 'tier'> & { tier: Tier } {
  return {
    tier,
    postgres: Postgres.external({ ...GRAPHISTRY_EXAMPLE_POSTGRES, peer: GRAPHISTRY_EXAMPLE_POSTGRES_PEER }),
    jwtSecret: 'graphistry-jwt',
    nexusSecret: 'graphistry-nexus',
    caddy: {
      // The sticky cookie's HMAC key comes from a Secret, so it is never in Git (analytics and above use it).
      cookieSecret: CaddyCookieSecret.fromSecret('graphistry-caddy-cookie', 'cookie-secret'),
    },
  };
}

/**
 * The IngressClass the single-node examples' Ingress names (ingress-nginx). Without a class, only a cluster with a
 * default IngressClass would serve it.
 */
export const GRAPHISTRY_INGRESS_CLASS = 'nginx';

/**
 * The request body limit at the Ingress controller: the engine's per-pod upload scratch (20 GiB by default) is where
 * uploaded bodies land, so a larger body could not be stored anyway. ingress-nginx's 1m default would cut every
 * dataset upload with 413.
 */
export const GRAPHISTRY_UPLOAD_LIMIT = '20g';

/**
 * One single-node release per tier, each in its own namespace (the claim names are fixed, so two releases never share
 * a namespace). ReadWriteOnce storage: every pod lands on the one node.
 */
export function buildGraphistrySingleNode(app: App, tier: Tier, delivery?: DeliveryTarget): Release {
  const name = `graphistry-${tier.name}`;
  const release = new Release(app, name, {
    namespace: name,
    images: { pullSecrets: [GRAPHISTRY_PULL_SECRET] },
    networkPolicy: GRAPHISTRY_EXAMPLE_NETWORK,
    delivery,
  });
  const base = common(tier);
  new GraphistryStack(release, 'Graphistry', {
    ...base,
    caddy: {
      ...base.caddy,
      ingress: { className: GRAPHISTRY_INGRESS_CLASS, proxyBodySize: GRAPHISTRY_UPLOAD_LIMIT, hosts: [`${tier.name}.graphistry.example.internal`] },
    },
    // The full tier's dashboards log in with their own Graphistry account.
    graphAppKit: tier.atLeast(Tier.FULL) ? { credentials: { secretName: 'graphistry-gak-credentials' } } : undefined,
  });
  return release;
}

/**
 * The RuntimeClass that gives GPU pods the NVIDIA container runtime. k3s and the NVIDIA GPU Operator register the
 * runtime under this name without making it the containerd default, so a GPU pod without it sees no CUDA device.
 */
export const GRAPHISTRY_GPU_RUNTIME_CLASS = 'nvidia';

/** Node labels of the split-pool layout (the seed's recommended convention). */
export const GRAPHISTRY_POOLS = {
  cpu: { 'graphistry.io/role': 'cpu' },
  gpu: { 'graphistry.io/role': 'gpu' },
} as const;

/** The in-cluster Postgres release of the multi-node example: its name, namespace, database and Secrets. */
export const GRAPHISTRY_POSTGRES_RELEASE = {
  name: 'graphistry-postgres',
  namespace: 'graphistry-postgres',
  database: 'graphistry',
  user: 'graphistry',
  /** The superuser's password, in the Postgres namespace only. */
  superuserSecret: { name: 'graphistry-postgres-superuser', key: 'password' },
  /**
   * The graphistry role's password: in the Postgres namespace (the init script sets it) and, with the same content, in
   * Graphistry's (its clients read it from there).
   */
  passwordSecret: { name: 'graphistry-postgres', key: 'password' },
} as const;

/** The Postgres release and the connection Graphistry's clients use. */
export interface GraphistryPostgresRelease {
  /** The release (`graphistry-postgres`). */
  readonly release: Release;
  /** The server. */
  readonly server: PostgresServer;
  /** Graphistry's connection: the graphistry role on the graphistry database. */
  readonly postgres: Postgres;
}

/**
 * Graphistry's Postgres as its own release (the data-services PostgresServer in `graphistry-postgres`): one database
 * owned by the graphistry role, a kept 20 GiB claim on the CPU pool, the superuser and the role's passwords from
 * operator-created Secrets. The multi-node release depends on it, so Argo CD syncs it in an earlier wave.
 */
export function buildGraphistryPostgres(app: App, delivery?: DeliveryTarget): GraphistryPostgresRelease {
  const pg = GRAPHISTRY_POSTGRES_RELEASE;
  const release = new Release(app, pg.name, {
    namespace: pg.namespace,
    delivery,
    networkPolicy: GRAPHISTRY_EXAMPLE_NETWORK,
    placement: { nodeSelector: GRAPHISTRY_POOLS.cpu },
  });
  const server = new PostgresServer(release, 'Postgres', {
    name: 'postgres',
    superuser: { password: pg.superuserSecret },
    storage: { size: Size.gibibytes(20) },
  });
  const role = server.addRole(pg.user, { password: pg.passwordSecret });
  server.addDatabase(pg.database, { owner: role });
  return { release, server, postgres: Postgres.server(server, { database: pg.database, login: role }) };
}

/**
 * The multi-node layout: CPU singletons (Caddy, nexus, Redis, dask-scheduler, pivot) on a CPU pool through the
 * release-wide selector; the engine, the notebook and graph-app-kit on the GPU pool through their own selectors; the
 * NVIDIA GPU Operator's taint tolerated release-wide (tolerations only admit, they never move a pod). Storage is
 * ReadWriteMany so pods on several nodes share the claims. An external load balancer terminates TLS and reaches
 * Caddy on a node port; telemetry is self-hosted, with the collector and node-exporter on every node. The GPU pods
 * (engine, notebook, graph-app-kit, dcgm-exporter) run under the `nvidia` RuntimeClass. Postgres is the
 * `graphistry-postgres` release (`database`, built with the same delivery unless given), synced in an earlier wave.
 */
export function buildGraphistryMultiNode(
  app: App,
  delivery?: DeliveryTarget,
  database: GraphistryPostgresRelease = buildGraphistryPostgres(app, delivery),
): Release {
  const release = new Release(app, 'graphistry-multinode', {
    namespace: 'graphistry',
    delivery,
    // Postgres first: nexus, pivot and the engine wait for it (their connections say so too; this states it).
    dependsOn: [database.release],
    images: { pullSecrets: [GRAPHISTRY_PULL_SECRET] },
    networkPolicy: GRAPHISTRY_EXAMPLE_NETWORK,
    placement: {
      nodeSelector: GRAPHISTRY_POOLS.cpu,
      tolerations: [{ key: 'nvidia.com/gpu', operator: 'Equal', value: 'true', effect: 'NoSchedule' }],
    },
  });
  const base = common(Tier.FULL);
  new GraphistryStack(release, 'Graphistry', {
    ...base,
    // The in-cluster Postgres release, through the data-services component's typed connection.
    postgres: database.postgres,
    publicUrl: 'https://graphistry.example.com',
    storage: { accessMode: StorageAccessMode.READ_WRITE_MANY, storageClassName: 'retain-sc-nfs' },
    caddy: {
      ...base.caddy,
      tls: CaddyTls.external(),
      fallback: CaddyLbFallback.leastConn(),
      service: {
        type: CaddyServiceType.nodePort({
          nodePort: 30080,
          reason: 'the external load balancer terminates TLS and reaches Caddy on this port of every CPU node',
          clients: ExternalPeer.cidr({ cidrs: ['10.20.4.0/28'], reason: 'the external load balancer' }),
        }),
      },
      ingress: { enabled: false },
      // /prometheus and /jaeger have no login of their own: Caddy asks for the account in an operator-created Secret
      // (keys username and password-hash; the notes print the command that creates it).
      telemetryAuth: CaddyRouteAuth.basic({ secretName: 'graphistry-telemetry-auth' }),
    },
    // Every GPU workload names the NVIDIA RuntimeClass (the notes state the prerequisite).
    engine: { placement: { nodeSelection: NodeSelection.fallback(GRAPHISTRY_POOLS.gpu) }, runtimeClassName: GRAPHISTRY_GPU_RUNTIME_CLASS },
    notebook: { placement: { nodeSelection: NodeSelection.fallback(GRAPHISTRY_POOLS.gpu) }, runtimeClassName: GRAPHISTRY_GPU_RUNTIME_CLASS },
    graphAppKit: { placement: { nodeSelection: NodeSelection.fallback(GRAPHISTRY_POOLS.gpu) }, runtimeClassName: GRAPHISTRY_GPU_RUNTIME_CLASS, credentials: { secretName: 'graphistry-gak-credentials' } },
    telemetry: {
      mode: TelemetryMode.selfHosted({ grafanaAdmin: { secretName: 'graphistry-grafana-admin' } }),
      dcgmExporter: DcgmExporterSource.bundled({ runtimeClassName: GRAPHISTRY_GPU_RUNTIME_CLASS }),
    },
  });
  return release;
}

/**
 * A single box at the edge (a lab or plant server with one GPU): viz tier with self-hosted telemetry on the same node,
 * Caddy terminating TLS itself with a self-signed certificate from an operator-created Secret, reached on node ports
 * 30081 (HTTP) and 30443 (HTTPS) because there is no load balancer or Ingress controller. The cookie Secret carries a
 * version, so rotating its key rolls Caddy (bump it after replacing the Secret's content).
 */
export function buildGraphistryEdge(app: App, delivery?: DeliveryTarget): Release {
  // The example cluster's addresses, as every example release: without them the API readers (the collector's waits)
  // and the node-port traffic would be allowed from and to any address.
  const release = new Release(app, 'graphistry-edge', {
    namespace: 'graphistry-edge',
    images: { pullSecrets: [GRAPHISTRY_PULL_SECRET] },
    networkPolicy: GRAPHISTRY_EXAMPLE_NETWORK,
    delivery,
  });
  const base = common(Tier.VIZ);
  new GraphistryStack(release, 'Graphistry', {
    ...base,
    caddy: {
      cookieSecret: CaddyCookieSecret.fromSecret('graphistry-caddy-cookie', 'cookie-secret', { version: '2026-11-29' }),
      // The self-signed certificate (kubectl create secret tls graphistry-edge-tls --cert=... --key=...): browsers
      // warn until the lab's CA is trusted; no ACME, the box has no public name.
      tls: CaddyTls.self({ domains: ['graphistry.lab.internal'], certificateSecret: 'graphistry-edge-tls' }),
      service: {
        type: CaddyServiceType.nodePort({
          nodePort: 30081,
          nodePortHttps: 30443,
          clients: ExternalPeer.cidr({ cidrs: ['192.168.40.0/24'], reason: "the lab's workstations" }),
          reason: 'a single edge server without a load balancer or Ingress controller: browsers reach Caddy on the node',
        }),
      },
      telemetryAuth: CaddyRouteAuth.basic({ secretName: 'graphistry-telemetry-auth' }),
    },
    telemetry: { mode: TelemetryMode.selfHosted({ grafanaAdmin: { secretName: 'graphistry-grafana-admin' } }) },
  });
  return release;
}

/**
 * Caddy off (the seed's Pattern B): the cluster's own ingress controller fronts the analytics tier, terminating TLS
 * and applying the session-affinity rules the notes list (YOUR INGRESS (CADDY OFF)). No Caddy object renders; the
 * site URL is given, since nexus' cookie flags follow its scheme.
 */
export function buildGraphistryOwnIngress(app: App, delivery?: DeliveryTarget): Release {
  const release = new Release(app, 'graphistry-own-ingress', {
    namespace: 'graphistry-own-ingress',
    images: { pullSecrets: [GRAPHISTRY_PULL_SECRET] },
    networkPolicy: GRAPHISTRY_EXAMPLE_NETWORK,
    delivery,
  });
  new GraphistryStack(release, 'Graphistry', {
    ...common(Tier.ANALYTICS),
    publicUrl: 'https://graphistry.corp.example.com',
    caddy: { enabled: false },
  });
  return release;
}

export const graphistryApp: ExampleApp = {
  name: 'graphistry',
  description:
    'Graphistry: one single-node release per tier (platform, analytics, viz, full), a split GPU/CPU multi-node release, ' +
    'an edge box (telemetry, self-signed TLS on node ports) and one behind the cluster\'s own ingress (Caddy off)',
  build: (app) => {
    // One Argo CD target for every Graphistry release: dist/argocd/graphistry/ and its root Application.
    const delivery = graphistryDelivery();
    for (const tier of Tier.ALL) buildGraphistrySingleNode(app, tier, delivery);
    buildGraphistryMultiNode(app, delivery);
    buildGraphistryEdge(app, delivery);
    buildGraphistryOwnIngress(app, delivery);
  },
};
