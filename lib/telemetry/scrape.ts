import { Duration } from 'cdk8s';
import { Construct } from 'constructs';
import { ExternalEndpoint, ExternalPeer, HostForm, PodEndpoint, ServiceEndpoint } from '../core/endpoint';
import { check } from '../core/errors';
import { ConnectionKind, Wiring } from '../core/wiring';
import { IWorkload } from '../core/workload';
import { parseHostPort } from './common';
import { podScrapeJob, ScrapeConfig, staticScrapeJob } from './prometheus-config';

/** Options of one bound scrape job. */
export interface ScrapeJobOptions {
  /**
   * Scrape interval of the job.
   * @default - the scraper's global interval
   */
  readonly scrapeInterval?: Duration;
}

/**
 * Something a scraper pulls metrics from, as a job: the pods of a workload found by discovery (one target per pod), or
 * a fixed address (a Service, an endpoint outside the app). Each renders its own job and records the scrape in the
 * wiring graph when bound to its scraper.
 */
export abstract class ScrapeTarget {
  /**
   * Every pod of a workload on one container port, found through Kubernetes pod discovery: each pod is its own target
   * (scraping a DaemonSet through its Service would reach one pod per scrape and lose every other node).
   */
  public static pods(jobName: string, pods: PodEndpoint, port?: string): ScrapeTarget {
    return new PodsScrapeTarget(jobName, pods, pods.port(port, `${jobName}.port`).name);
  }

  /** One fixed address: a Service the app renders (short name: the scraper shares its namespace) or an external endpoint. */
  public static endpoint(jobName: string, target: ServiceEndpoint | ExternalEndpoint, port?: string): ScrapeTarget {
    return new AddressScrapeTarget(jobName, target, target.port(port, `${jobName}.port`).name);
  }

  protected constructor(
    /** The job name. */
    public readonly jobName: string,
  ) {}

  /** Records `scraper`'s scrape in the wiring graph and returns the job. */
  public abstract bind(scraper: IWorkload, options?: ScrapeJobOptions): ScrapeConfig;
}

class PodsScrapeTarget extends ScrapeTarget {
  constructor(jobName: string, private readonly pods: PodEndpoint, private readonly port: string) {
    super(jobName);
  }

  public bind(scraper: IWorkload, options: ScrapeJobOptions = {}): ScrapeConfig {
    const c = Wiring.of(scraper).connect(scraper, this.pods, this.port, { kind: ConnectionKind.SCRAPE, purpose: `${this.jobName} metrics` });
    return podScrapeJob({
      jobName: this.jobName,
      namespace: this.pods.namespace,
      podLabels: this.pods.pods.selector,
      port: c.port.port,
      scrapeInterval: options.scrapeInterval,
    });
  }
}

class AddressScrapeTarget extends ScrapeTarget {
  constructor(jobName: string, private readonly target: ServiceEndpoint | ExternalEndpoint, private readonly port: string) {
    super(jobName);
  }

  public bind(scraper: IWorkload, options: ScrapeJobOptions = {}): ScrapeConfig {
    const c = Wiring.of(scraper).connect(scraper, this.target, this.port, { kind: ConnectionKind.SCRAPE, purpose: `${this.jobName} metrics` });
    return staticScrapeJob({ jobName: this.jobName, targets: [c.hostPort(HostForm.SHORT)], scrapeInterval: options.scrapeInterval });
  }
}

/** An exporter the stack runs: its pods (for pod discovery) and its node-local Service. */
export interface IBundledExporter extends IWorkload {
  /** The exporter's pods on its metrics port. */
  readonly metricsPods: PodEndpoint;
  /** The exporter's Service. */
  readonly endpoint: ServiceEndpoint;
}

/** What an exporter source gives the stack once bound. */
export interface ExporterBinding<E extends IBundledExporter> {
  /**
   * The exporter the stack renders, when bundled.
   * @default - none (external or none)
   */
  readonly exporter?: E;
  /** What Prometheus scrapes (self-hosted mode): the bundled pods, or the external endpoint. */
  readonly prometheusTargets: readonly ScrapeTarget[];
  /** What each per-node collector scrapes (cloud mode): the node-local Service, or the external endpoint. */
  readonly collectorTargets: readonly ScrapeTarget[];
  /** Release warnings for cloud mode. */
  readonly collectorWarnings: readonly string[];
}

/** Props the stack gives a bundled exporter. */
export interface BundledExporterProps {
  /** Object name. */
  readonly name: string;
  /**
   * `app.kubernetes.io/part-of`.
   * @default - none
   */
  readonly partOf?: string;
}

/**
 * Where one kind of metrics comes from: an exporter the stack runs, one managed elsewhere, or none. Each alternative
 * binds itself: it renders the exporter (when bundled) and hands out the scrape targets for either scraper.
 */
export abstract class ExporterSource<E extends IBundledExporter> {
  protected constructor(
    /** The scrape job name (`dcgm-exporter`). */
    private readonly jobName: string,
    private readonly create: ((scope: Construct, id: string, props: BundledExporterProps) => E) | undefined,
    /** The external endpoint, when the exporter is managed elsewhere. */
    public readonly endpoint: ExternalEndpoint | undefined,
  ) {}

  /** Renders the bundled exporter (construct id `id`) and returns what the scrapers need. */
  public bind(scope: Construct, id: string, props: BundledExporterProps): ExporterBinding<E> {
    const exporter = this.create?.(scope, id, props);
    const prometheusTargets: ScrapeTarget[] = [];
    const collectorTargets: ScrapeTarget[] = [];
    const collectorWarnings: string[] = [];
    if (exporter) {
      prometheusTargets.push(ScrapeTarget.pods(this.jobName, exporter.metricsPods));
      collectorTargets.push(ScrapeTarget.endpoint(this.jobName, exporter.endpoint));
    }
    if (this.endpoint) {
      prometheusTargets.push(ScrapeTarget.endpoint(this.jobName, this.endpoint));
      collectorTargets.push(ScrapeTarget.endpoint(this.jobName, this.endpoint));
      collectorWarnings.push(
        `${this.jobName} is external (${this.endpoint.hostPort()}) in cloud mode: every per-node collector scrapes it, so unless that endpoint is node-local (internalTrafficPolicy: Local) its series are sent once per node`,
      );
    }
    return { exporter, prometheusTargets, collectorTargets, collectorWarnings };
  }
}

/**
 * The external endpoint of an exporter managed elsewhere (`host:port`, no scheme).
 * @internal
 */
export function externalExporter(prop: string, endpoint: string, description: string, options: ExternalExporterOptions = {}): ExternalEndpoint {
  const { host, port } = parseHostPort(prop, endpoint);
  if (options.peer !== undefined) check(options.peer instanceof ExternalPeer, `${prop}.peer`, options.peer, 'ExternalPeer.pods({...}) or ExternalPeer.cidr({...})');
  return ExternalEndpoint.of({ host: host.replace(/^\[|\]$/g, ''), ports: [{ name: 'metrics', port }], description, peer: options.peer, peerProp: `${prop}.peer` });
}

/** Options of an exporter managed elsewhere. */
export interface ExternalExporterOptions {
  /**
   * Who answers at the endpoint, for the scrapers' NetworkPolicy egress rule: the exporter's pods
   * (`ExternalPeer.pods({ namespace: 'gpu-operator', selector: { app: 'nvidia-dcgm-exporter' } })`) or its addresses.
   * @default - undeclared: synth fails while the release renders NetworkPolicies
   */
  readonly peer?: ExternalPeer;
}
