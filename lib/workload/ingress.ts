import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { ExternalPeer, ServiceEndpoint } from '../core/endpoint';
import { check, ConfigError } from '../core/errors';
import { assertLabelKey } from '../core/labels';
import { assertDnsSubdomain, deriveName } from '../core/names';
import { ExternalRef, externalRefsAnnotation } from '../core/policy';
import { ConnectionKind, Wiring } from '../core/wiring';
import { assertWildcardHost } from '../core/validate';

/** cert-manager's Ingress annotation naming a ClusterIssuer (ingress-shim issues the certificate into the TLS Secret). */
export const CERT_MANAGER_CLUSTER_ISSUER = 'cert-manager.io/cluster-issuer';
/** cert-manager's Ingress annotation naming an Issuer of the Ingress' namespace. */
export const CERT_MANAGER_ISSUER = 'cert-manager.io/issuer';

/** Options of `IngressTls.certManager()`. */
export interface CertManagerTlsOptions {
  /**
   * A ClusterIssuer (`letsencrypt-prod`). Exactly one of clusterIssuer and issuer.
   * @default - none
   */
  readonly clusterIssuer?: string;
  /**
   * An Issuer in the release's namespace. Exactly one of clusterIssuer and issuer.
   * @default - none
   */
  readonly issuer?: string;
  /**
   * The Secret cert-manager writes the certificate to.
   * @default '<service>-tls'
   */
  readonly secretName?: string;
}

/**
 * Where an Ingress' certificate comes from: an operator-created `kubernetes.io/tls` Secret, or cert-manager issuing it
 * (from the issuer annotation) into a Secret it creates. Either way the Secret is not rendered by the app, so it is
 * declared as an external reference; the release notes say who creates it.
 */
export class IngressTls {
  /** An existing TLS Secret (keys `tls.crt` and `tls.key`) an operator creates. */
  public static secret(secretName: string): IngressTls {
    assertDnsSubdomain('ingress.tls.secretName', secretName);
    return new IngressTls(() => secretName, {}, 'operator');
  }

  /** cert-manager issues the certificate from an Issuer or ClusterIssuer into a Secret it manages. */
  public static certManager(o: CertManagerTlsOptions): IngressTls {
    check((o.clusterIssuer === undefined) !== (o.issuer === undefined), 'ingress.tls', o, 'exactly one of clusterIssuer and issuer');
    const issuer = (o.clusterIssuer ?? o.issuer)!;
    assertDnsSubdomain(o.clusterIssuer !== undefined ? 'ingress.tls.clusterIssuer' : 'ingress.tls.issuer', issuer);
    if (o.secretName !== undefined) assertDnsSubdomain('ingress.tls.secretName', o.secretName);
    const annotations = { [o.clusterIssuer !== undefined ? CERT_MANAGER_CLUSTER_ISSUER : CERT_MANAGER_ISSUER]: issuer };
    return new IngressTls((service) => o.secretName ?? deriveName([service, 'tls']), annotations, 'cert-manager');
  }

  private constructor(
    private readonly secretNameFor: (service: string) => string,
    /** Annotations the Ingress carries for this TLS source. */
    public readonly annotations: Readonly<Record<string, string>>,
    /** Who creates the Secret. */
    public readonly issuedBy: 'operator' | 'cert-manager',
  ) {}

  /** The TLS Secret's name for an Ingress in front of `service`. */
  public secretName(service: string): string {
    return this.secretNameFor(service);
  }
}

/** An Ingress in front of a workload's Service. */
export interface WorkloadIngressOptions {
  /** Host names the Ingress serves (a leading `*.` for a wildcard). At least one. */
  readonly hosts: readonly string[];
  /**
   * IngressClass.
   * @default - the cluster's default IngressClass
   */
  readonly className?: string;
  /**
   * Path prefix routed to the Service.
   * @default '/'
   */
  readonly path?: string;
  /**
   * Path matching.
   * @default 'Prefix'
   */
  readonly pathType?: 'Prefix' | 'Exact' | 'ImplementationSpecific';
  /**
   * Service port (by name) the Ingress forwards to.
   * @default - the Service's only port
   */
  readonly port?: string;
  /**
   * TLS for every host.
   * @default - none (plain HTTP)
   */
  readonly tls?: IngressTls;
  /**
   * More annotations for the controller (`nginx.ingress.kubernetes.io/proxy-body-size`).
   * @default - none
   */
  readonly annotations?: Readonly<Record<string, string>>;
  /**
   * The ingress controller's pods, recorded in the wiring graph as an INGRESS connection to the Service (what the
   * NetworkPolicy renderer admits).
   * @default - not recorded
   */
  readonly controller?: ExternalPeer;
}

/** The rendered Ingress and the Secret it expects. */
export interface RenderedIngress {
  /** The Ingress. */
  readonly ingress: k8s.KubeIngress;
  /** The TLS Secret, declared external on the Ingress (`refs.ops-kit.io/external`). */
  readonly externalRefs: readonly ExternalRef[];
}

/** Renders an Ingress (construct id `id`) routing `hosts` to a port of `endpoint`. */
export function renderIngress(
  scope: Construct,
  id: string,
  endpoint: ServiceEndpoint,
  labels: Readonly<Record<string, string>>,
  o: WorkloadIngressOptions,
): RenderedIngress {
  check(Array.isArray(o.hosts) && o.hosts.length > 0, 'ingress.hosts', o.hosts, 'at least one host name');
  const seen = new Set<string>();
  o.hosts.forEach((h, i) => {
    assertWildcardHost(`ingress.hosts[${i}]`, h);
    check(!seen.has(h), `ingress.hosts[${i}]`, h, 'each host once');
    seen.add(h);
  });
  const path = o.path ?? '/';
  check(path.startsWith('/') && !/\s/.test(path), 'ingress.path', path, "a path starting with '/'");
  if (o.className !== undefined) assertDnsSubdomain('ingress.className', o.className);
  const port = endpoint.port(o.port, 'ingress.port');
  const annotations: Record<string, string> = {};
  for (const [k, v] of Object.entries(o.annotations ?? {})) {
    assertLabelKey('ingress.annotations', k);
    annotations[k] = v;
  }
  if (o.tls) {
    if (!(o.tls instanceof IngressTls)) throw new ConfigError('ingress.tls', o.tls, 'IngressTls.secret(name) or IngressTls.certManager({...})');
    for (const [k, v] of Object.entries(o.tls.annotations)) {
      check(annotations[k] === undefined || annotations[k] === v, `ingress.annotations.${k}`, annotations[k], `unset (ingress.tls sets it to ${JSON.stringify(v)})`);
      annotations[k] = v;
    }
  }
  const secretName = o.tls?.secretName(endpoint.name);
  const externalRefs: ExternalRef[] = secretName ? [{ kind: 'Secret', name: secretName }] : [];
  Object.assign(annotations, externalRefsAnnotation(externalRefs));
  const backend: k8s.IngressBackend = { service: { name: endpoint.name, port: { name: port.name } } };
  const http: k8s.HttpIngressRuleValue = { paths: [{ path, pathType: o.pathType ?? 'Prefix', backend }] };
  const ingress = new k8s.KubeIngress(scope, id, {
    metadata: { name: endpoint.name, labels: { ...labels }, annotations: Object.keys(annotations).length ? annotations : undefined },
    spec: {
      ingressClassName: o.className,
      rules: o.hosts.map((host) => ({ host, http })),
      tls: secretName ? [{ hosts: [...o.hosts], secretName }] : undefined,
    },
  });
  if (o.controller) Wiring.of(scope).connectFrom(o.controller, endpoint, port.name, { kind: ConnectionKind.INGRESS, purpose: `Ingress ${endpoint.name}` });
  return { ingress, externalRefs };
}
