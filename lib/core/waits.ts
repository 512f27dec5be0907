import { k8s } from 'cdk8s-plus-28';
import { ServiceEndpoint } from './endpoint';
import { check } from './errors';
import { assertLabels } from './labels';
import { assertDnsLabel, assertDnsSubdomain, deriveName, isDnsSubdomain } from './names';
import { sized, Resources } from './resources';
import { assertPort, isIp } from './validate';
import { compareText } from './order';

/** Image used to wait for Services and pods (reads the API, so the pod's ServiceAccount needs `rules`). */
export const K8S_WAIT_FOR_IMAGE = 'groundnuty/k8s-wait-for:v2.0';
/** Image whose `pg_isready` waits for Postgres (client only; any server version answers it). */
export const PG_ISREADY_IMAGE = 'postgres:16.4-alpine3.20';

/** Image whose `nc -z` waits for a TCP port (busybox, pinned). */
export const TCP_WAIT_IMAGE = 'busybox:1.36.1';

/** Small, fixed resources for wait containers. */
export const WAIT_RESOURCES: Resources = sized(10, 100, 16, 64);

/** An init-container wait: the container to add and the API permissions its pod's ServiceAccount needs. */
export interface InitWait {
  /** Init container name. */
  readonly name: string;
  /** Image as written (resolve it through `Images.of(scope).resolve` before rendering). */
  readonly image: string;
  /** Command of the wait container (empty: the image's entrypoint). */
  readonly command: string[];
  /** Arguments of the wait container. */
  readonly args: string[];
  /** RBAC rules the pod's ServiceAccount needs for the wait to see its target (empty for network-only waits). */
  readonly rules: k8s.PolicyRule[];
  /**
   * For Service waits: the Service name, so references can be checked.
   * @default - none (not a Service wait)
   */
  readonly service?: string;
}

/** Where `WaitFor.postgres` probes with `pg_isready`. */
export interface PostgresWaitOptions {
  /** Host name of the Postgres server. */
  readonly host: string;
  /**
   * Port the server listens on.
   * @default 5432
   */
  readonly port?: number;
  /** @default - any user */
  readonly user?: string;
  /** @default - any database */
  readonly database?: string;
}

const READ_SERVICES: k8s.PolicyRule = { apiGroups: [''], resources: ['services', 'endpoints'], verbs: ['get', 'list', 'watch'] };
const READ_PODS: k8s.PolicyRule = { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] };

/** A wait for a TCP port. */
export interface TcpWaitOptions {
  /** What is waited for: the init container is `wait-for-<name>` (shortened with a hash when long). */
  readonly name: string;
  /** Host name or IP address to connect to. */
  readonly host: string;
  /** Port to connect to. */
  readonly port: number;
}

/** Factories for init-container waits. */
export class WaitFor {
  /**
   * Waits until a Service in the pod's namespace has ready endpoints. Pass the Service's endpoint (a plain name only
   * for a Service the app does not render).
   */
  public static service(target: string | ServiceEndpoint): InitWait {
    const service = typeof target === 'string' ? target : target.name;
    assertDnsLabel('waitFor.service', service);
    // A long Service name is shortened with a hash, so waits for two long names that share a prefix never collide.
    return { name: deriveName(['wait-for', service]), image: K8S_WAIT_FOR_IMAGE, command: [], args: ['service', service], rules: [READ_SERVICES, READ_PODS], service };
  }

  /** Waits until every pod matching the label selector is ready (stronger than a Service wait: needs ready pods). */
  public static pods(name: string, selector: Readonly<Record<string, string>>): InitWait {
    assertDnsLabel('waitFor.pods.name', name, 54);
    const entries = Object.entries(assertLabels('waitFor.pods.selector', selector)).sort(([a], [b]) => compareText(a, b));
    check(entries.length > 0, 'waitFor.pods.selector', selector, 'at least one label');
    const sel = entries.map(([k, v]) => `${k}=${v}`).join(',');
    return { name: `wait-for-${name}`, image: K8S_WAIT_FOR_IMAGE, command: [], args: ['pod', `-l${sel}`], rules: [READ_PODS] };
  }

  /** Waits until `pg_isready` succeeds against the server. Needs no API access. */
  public static postgres(options: PostgresWaitOptions): InitWait {
    assertDnsSubdomain('postgres.host', options.host);
    const port = options.port ?? 5432;
    assertPort('postgres.port', port);
    const args = ['-h', options.host, '-p', String(port)];
    if (options.user) args.push('-U', options.user);
    if (options.database) args.push('-d', options.database);
    const script = `until pg_isready ${args.map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ')}; do echo waiting for postgres at ${options.host}:${port}; sleep 2; done`;
    return { name: 'wait-for-postgres', image: PG_ISREADY_IMAGE, command: ['sh', '-c'], args: [script], rules: [] };
  }

  /**
   * Waits until a TCP connection to `host:port` succeeds. Needs no API access, so it works for Services in other
   * namespaces and for endpoints outside the cluster. Through a ClusterIP Service a connection succeeds only when a
   * ready pod backs it, so this also waits for readiness.
   */
  public static tcp(options: TcpWaitOptions): InitWait {
    check(typeof options.host === 'string' && (isDnsSubdomain(options.host) || isIp(options.host)), 'waitFor.tcp.host', options.host, 'a DNS name or an IP address');
    check(Number.isInteger(options.port) && options.port >= 1 && options.port <= 65535, 'waitFor.tcp.port', options.port, 'a port number 1-65535');
    const script = `until nc -z -w 2 ${options.host} ${options.port}; do echo waiting for ${options.host}:${options.port}; sleep 2; done`;
    return { name: deriveName(['wait-for', options.name]), image: TCP_WAIT_IMAGE, command: ['sh', '-c'], args: [script], rules: [] };
  }
}

/** Merges the RBAC rules of several waits into one deduplicated, ordered list. */
export function waitRules(waits: readonly InitWait[]): k8s.PolicyRule[] {
  const byKey = new Map<string, k8s.PolicyRule>();
  for (const w of waits) for (const r of w.rules) byKey.set(JSON.stringify(r), r);
  return [...byKey.entries()].sort(([a], [b]) => compareText(a, b)).map(([, r]) => r);
}
