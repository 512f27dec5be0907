import { Duration } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import { check } from './errors';
import { isPortName } from './names';
import { assertInt, assertWholeSeconds } from './validate';

/** Timing shared by every probe kind. Durations are typed and converted to whole seconds. */
export interface ProbeTiming {
  /** @default - Kubernetes default (0s) */
  readonly initialDelay?: Duration;
  /** @default - Kubernetes default (10s) */
  readonly period?: Duration;
  /** @default - Kubernetes default (1s) */
  readonly timeout?: Duration;
  /** @default - Kubernetes default (3) */
  readonly failureThreshold?: number;
  /** @default - Kubernetes default (1) */
  readonly successThreshold?: number;
}

/** A port by number or by the container port's name. */
export type ProbePort = number | string;

function seconds(prop: string, d: Duration | undefined, min: number): number | undefined {
  if (d === undefined) return undefined;
  return assertWholeSeconds(prop, d, { min });
}

function timing(t: ProbeTiming): Partial<k8s.Probe> {
  if (t.failureThreshold !== undefined) assertInt('probe.failureThreshold', t.failureThreshold, { min: 1 });
  if (t.successThreshold !== undefined) assertInt('probe.successThreshold', t.successThreshold, { min: 1 });
  return {
    initialDelaySeconds: seconds('probe.initialDelay', t.initialDelay, 0),
    periodSeconds: seconds('probe.period', t.period, 1),
    timeoutSeconds: seconds('probe.timeout', t.timeout, 1),
    failureThreshold: t.failureThreshold,
    successThreshold: t.successThreshold,
  };
}

function port(p: ProbePort): k8s.IntOrString {
  if (typeof p === 'number') {
    check(Number.isSafeInteger(p) && p >= 1 && p <= 65535, 'probe.port', p, 'a port number 1-65535 or a container port name');
    return k8s.IntOrString.fromNumber(p);
  }
  check(isPortName(p), 'probe.port', p, "a port number 1-65535 or a container port name (at most 15 lowercase letters, digits and '-', with at least one letter)");
  return k8s.IntOrString.fromString(p);
}

/** One HTTP check a curl probe makes inside the container. */
export interface CurlCheck {
  /** The port the container listens on. */
  readonly port: number;
  /** The path, starting with '/'. */
  readonly path: string;
  /**
   * The loopback name to dial. `127.0.0.1` for servers that bind IPv4 only where `localhost` may resolve to `::1`.
   * @default 'localhost'
   */
  readonly host?: 'localhost' | '127.0.0.1';
}

/** Probe factories: exec, HTTP GET, TCP socket, and curl inside the container. */
export class Probes {
  /** Runs a command in the container; exit 0 is healthy. */
  public static exec(command: readonly string[], t: ProbeTiming = {}): k8s.Probe {
    check(command.length > 0, 'probe.command', command, 'a non-empty command');
    return { exec: { command: [...command] }, ...timing(t) };
  }

  /** HTTP GET on a path; 2xx/3xx is healthy. */
  public static http(path: string, p: ProbePort, t: ProbeTiming & { scheme?: 'HTTP' | 'HTTPS' } = {}): k8s.Probe {
    check(path.startsWith('/'), 'probe.path', path, 'an absolute path starting with /');
    return { httpGet: { path, port: port(p), scheme: t.scheme }, ...timing(t) };
  }

  /**
   * An exec probe that fetches loopback URLs with the image's own curl; every check must answer 2xx/3xx. For images
   * whose health endpoint needs the `Host: localhost` an httpGet probe (which dials the pod IP) would not send, and
   * for checks of several ports at once. `-S` keeps curl's error in the probe's failure event.
   */
  public static curl(checks: CurlCheck | readonly CurlCheck[], t: ProbeTiming = {}): k8s.Probe {
    const list: readonly CurlCheck[] = Array.isArray(checks) ? checks : [checks as CurlCheck];
    check(list.length > 0, 'probe.curl', list, 'at least one check');
    const commands = list.map((c, i) => {
      check(Number.isInteger(c.port) && c.port >= 1 && c.port <= 65535, `probe.curl[${i}].port`, c.port, 'a port number 1-65535');
      check(typeof c.path === 'string' && /^\/[^\s']*$/.test(c.path), `probe.curl[${i}].path`, c.path, "an absolute path starting with /, without whitespace or quotes");
      return ['curl', '-fsS', '-o', '/dev/null', `http://${c.host ?? 'localhost'}:${c.port}${c.path}`];
    });
    if (commands.length === 1) return Probes.exec(commands[0], t);
    return Probes.exec(['sh', '-c', commands.map((c) => c.join(' ')).join(' && ')], t);
  }

  /** A TCP connect to a port. */
  public static tcp(p: ProbePort, t: ProbeTiming = {}): k8s.Probe {
    return { tcpSocket: { port: port(p) }, ...timing(t) };
  }
}

/** The port a probe targets (number or name), or undefined for exec probes. For checks that probes hit real ports. */
export function probePort(probe: k8s.Probe | undefined): number | string | undefined {
  const p = probe?.httpGet?.port ?? probe?.tcpSocket?.port ?? probe?.grpc?.port;
  if (p === undefined) return undefined;
  return typeof p === 'number' ? p : (p as k8s.IntOrString).value;
}

/**
 * Probe timing in whole seconds: initial delay, period and timeout, and the failures that count (3 unless given),
 * for the tables of probes products take from their charts.
 * @internal
 */
export function probeSeconds(initialDelay: number, period: number, timeout: number, failureThreshold = 3): ProbeTiming {
  return { initialDelay: Duration.seconds(initialDelay), period: Duration.seconds(period), timeout: Duration.seconds(timeout), failureThreshold };
}
