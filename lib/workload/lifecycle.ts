import { Duration } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { check } from '../core/errors';
import { isPortName } from '../core/names';
import { assertWholeSeconds } from '../core/validate';

/**
 * What the container does when it is asked to stop, before it gets SIGTERM. A short sleep lets the endpoints
 * controller and every kube-proxy and ingress controller drop the pod before the process stops accepting connections,
 * so a rollout or scale-down does not cut requests in flight.
 */
export class PreStop {
  /** Sleep for `duration` (runs `sleep` in the container, so the image needs it). */
  public static sleep(duration: Duration): PreStop {
    const s = assertWholeSeconds('preStop.sleep', duration, { min: 1 });
    return new PreStop({ exec: { command: ['sleep', String(s)] } }, s);
  }

  /**
   * Run a command. `expected` is how long it may take: the grace period must leave the process time after it.
   * @default expected - not checked against the grace period
   */
  public static exec(command: readonly string[], expected?: Duration): PreStop {
    check(command.length > 0 && command.every((c) => typeof c === 'string'), 'preStop.command', command, 'a non-empty command');
    const s = expected ? assertWholeSeconds('preStop.expected', expected, { min: 0 }) : undefined;
    return new PreStop({ exec: { command: [...command] } }, s);
  }

  /** An HTTP GET to the container (a drain endpoint). */
  public static httpGet(path: string, port: string | number): PreStop {
    check(path.startsWith('/'), 'preStop.path', path, 'an absolute path starting with /');
    const p = typeof port === 'number' ? k8s.IntOrString.fromNumber(port) : k8s.IntOrString.fromString(port);
    if (typeof port === 'string') check(isPortName(port), 'preStop.port', port, 'a container port name or number');
    return new PreStop({ httpGet: { path, port: p } }, undefined);
  }

  private constructor(
    /** The lifecycle handler. */
    public readonly handler: k8s.LifecycleHandler,
    /** How long the hook takes, when known. */
    public readonly seconds: number | undefined,
  ) {}

  /** The named port an HTTP hook targets, if any. */
  public get port(): string | undefined {
    const p = this.handler.httpGet?.port;
    return p && typeof p.value === 'string' ? p.value : undefined;
  }
}
