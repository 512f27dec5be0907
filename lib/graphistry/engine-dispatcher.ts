import { Duration } from 'cdk8s';
import { NginxConfFile } from '../nginx/conf-file';
import { NginxDirective, NginxVar } from '../nginx/directive';
import { NginxAction, NginxListen, NginxLocation, NginxMap, NginxServer } from '../nginx/server';
import { DispatchRoute, EnginePortPlan } from './ports';

/**
 * File name of the dispatcher in the nginx container's `/etc/nginx/conf.d/`.
 * @internal
 */
export const ENGINE_DISPATCHER_FILE = 'engine-dispatcher.conf';

/**
 * The map variable carrying the WebSocket-aware Connection header. Namespaced so it cannot clash with a
 * `$connection_upgrade` the image's own default.conf may define (nginx refuses a variable defined twice).
 */
const CONNECTION_VARIABLE = '$engine_dispatch_connection';

/**
 * Where the intra-pod dispatcher listens and forwards.
 * @internal
 */
export interface DispatcherOptions {
  /**
   * Address the dispatcher binds. Loopback keeps it inside the pod: only sibling containers reach it, through the
   * hostAliases that pin the service names to 127.0.0.1.
   * @default '127.0.0.1'
   */
  readonly address?: string;
  /**
   * Port the dispatcher listens on.
   * @default 8080 (the port the app's service URLs use)
   */
  readonly port?: number;
  /**
   * Address the upstream containers are reached on.
   * @default '127.0.0.1'
   */
  readonly upstreamAddress?: string;
}

/**
 * The intra-pod Host-header dispatcher: one nginx server per service name, each forwarding to that container's local
 * port, plus a default server that answers 421 for any other Host so a misrouted call fails loudly instead of
 * reaching whichever backend happens to be first. Streams in both directions and upgrades WebSockets, because
 * streamgl's sessions and forge-etl-python's uploads are long-lived.
 * @internal
 */
export function buildDispatcherConfig(routes: readonly DispatchRoute[], options: DispatcherOptions = {}): NginxConfFile {
  const address = options.address ?? '127.0.0.1';
  const port = options.port ?? 8080;
  const upstream = options.upstreamAddress ?? '127.0.0.1';
  const file = new NginxConfFile({
    comment: [
      'Intra-pod Host-header dispatcher of the Graphistry engine pod (generated from the engine port plan).',
      'App code calls http://<service>:8080; hostAliases pin <service> to 127.0.0.1, and this file sends each',
      'Host to the local port of the container serving it. Loaded next to the image\'s own default.conf.',
    ],
  });
  file.addMap(new NginxMap({ source: '$http_upgrade', variable: CONNECTION_VARIABLE, defaultValue: 'upgrade', entries: [['', 'close']] }));
  file.addServer(
    new NginxServer({
      comment: 'Any other Host: refuse rather than guess a backend.',
      listen: [NginxListen.address(address, port, { defaultServer: true })],
      serverNames: ['_'],
      directives: [NginxDirective.of('return', 421)],
    }),
  );
  for (const r of routes) {
    file.addServer(
      new NginxServer({
        comment: `${r.host} -> ${upstream}:${r.port}`,
        listen: [NginxListen.address(address, port)],
        serverNames: [r.host],
        directives: [NginxDirective.of('client_max_body_size', 0)],
        locations: [
          NginxLocation.prefix(
            '/',
            NginxAction.proxyPass(`http://${upstream}:${r.port}`, {
              httpVersion: '1.1',
              headers: [
                ['Host', NginxVar.of('$http_host')],
                ['Upgrade', NginxVar.of('$http_upgrade')],
                ['Connection', NginxVar.of(CONNECTION_VARIABLE)],
                ['X-Forwarded-For', NginxVar.of('$proxy_add_x_forwarded_for')],
              ],
              readTimeout: Duration.hours(1),
              sendTimeout: Duration.hours(1),
              buffering: false,
              requestBuffering: false,
            }),
          ),
        ],
      }),
    );
  }
  return file;
}

/**
 * The dispatcher for an engine port plan, as the engine's ConfigMap carries it.
 * @internal
 */
export function engineDispatcherConfig(plan: EnginePortPlan): string {
  return buildDispatcherConfig(plan.dispatchRoutes(), { port: plan.dispatcher }).render();
}
