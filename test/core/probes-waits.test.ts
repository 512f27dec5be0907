import { App, Chart, Duration } from 'cdk8s';
import { Construct } from 'constructs';
import { Images } from '../../lib/core/images';
import { buildWaitContainer } from '../../lib/core/container';
import { probePort, Probes } from '../../lib/core/probes';
import { SecurityProfile } from '../../lib/core/security';
import { K8S_WAIT_FOR_IMAGE, PG_ISREADY_IMAGE, WaitFor, waitRules } from '../../lib/core/waits';
import { ImageRef } from '../../lib/core/images';

describe('Probes', () => {
  test('exec probe with typed durations in whole seconds', () => {
    expect(
      Probes.exec(['curl', '-f', 'http://localhost/healthz'], {
        initialDelay: Duration.seconds(8),
        period: Duration.seconds(10),
        timeout: Duration.seconds(5),
        failureThreshold: 3,
      }),
    ).toEqual({
      exec: { command: ['curl', '-f', 'http://localhost/healthz'] },
      initialDelaySeconds: 8,
      periodSeconds: 10,
      timeoutSeconds: 5,
      failureThreshold: 3,
      successThreshold: undefined,
    });
  });

  test('http and tcp probes keep their port, by number or name', () => {
    const http = Probes.http('/check-workers', 8095, { period: Duration.minutes(1) });
    expect(http.httpGet!.path).toBe('/check-workers');
    expect(probePort(http)).toBe(8095);
    expect(http.periodSeconds).toBe(60);
    expect(probePort(Probes.tcp('client'))).toBe('client');
    expect(probePort(Probes.exec(['true']))).toBeUndefined();
  });

  test('curl probes fetch loopback URLs with -fsS; several checks run in one shell, all must pass', () => {
    expect(Probes.curl({ port: 8000, path: '/ht/' }).exec!.command).toEqual(['curl', '-fsS', '-o', '/dev/null', 'http://localhost:8000/ht/']);
    expect(Probes.curl({ host: '127.0.0.1', port: 8080, path: '/caddy/health/' }).exec!.command).toEqual(['curl', '-fsS', '-o', '/dev/null', 'http://127.0.0.1:8080/caddy/health/']);
    expect(Probes.curl([{ port: 8787, path: '/health' }, { port: 8080, path: '/workerhealth' }], { period: Duration.seconds(120) })).toMatchObject({
      exec: { command: ['sh', '-c', 'curl -fsS -o /dev/null http://localhost:8787/health && curl -fsS -o /dev/null http://localhost:8080/workerhealth'] },
      periodSeconds: 120,
    });
  });

  test('fails when a curl check has no absolute path, a path a shell would split, or a bad port', () => {
    expect(() => Probes.curl({ port: 80, path: 'healthz' })).toThrow("'probe.curl[0].path' is \"healthz\"; allowed: an absolute path starting with /, without whitespace or quotes");
    expect(() => Probes.curl([{ port: 80, path: '/a' }, { port: 80, path: "/b' ; rm -rf /" }])).toThrow(/'probe.curl\[1\].path'/);
    expect(() => Probes.curl({ port: 0, path: '/' })).toThrow("'probe.curl[0].port' is 0; allowed: a port number 1-65535");
    expect(() => Probes.curl([])).toThrow("'probe.curl' is []; allowed: at least one check");
  });

  test('fails when a duration is not a whole number of seconds', () => {
    expect(() => Probes.tcp(80, { timeout: Duration.millis(500) })).toThrow(/'probe.timeout' is "0.5s"/);
  });

  test.each(['8080', 'http--alt', 'much-too-long-name'])('fails when a probe port name is %j (not an IANA service name)', (name) => {
    expect(() => Probes.tcp(name)).toThrow(new RegExp(`'probe.port' is "${name}"`));
  });

  test('fails when the path is relative or the port is out of range', () => {
    expect(() => Probes.http('healthz', 80)).toThrow(/'probe.path' is "healthz"/);
    expect(() => Probes.tcp(70000)).toThrow(/'probe.port' is 70000/);
    expect(() => Probes.tcp('Not_A_Port_Name')).toThrow(/'probe.port'/);
    expect(() => Probes.exec([])).toThrow(/'probe.command'/);
    expect(() => Probes.exec(['true'], { failureThreshold: 0 })).toThrow(/'probe.failureThreshold' is 0/);
  });
});

describe('WaitFor', () => {
  test('service wait uses the pinned k8s-wait-for image and needs read access to services', () => {
    const w = WaitFor.service('redis');
    expect(w.image).toBe('groundnuty/k8s-wait-for:v2.0');
    expect(w.args).toEqual(['service', 'redis']);
    expect(w.service).toBe('redis');
    expect(w.rules.some((r) => r.resources!.includes('services'))).toBe(true);
  });

  test('pod wait selects by sorted labels', () => {
    expect(WaitFor.pods('dask', { b: '2', a: '1' }).args).toEqual(['pod', '-la=1,b=2']);
  });

  test('postgres wait uses pg_isready on the configured port', () => {
    const w = WaitFor.postgres({ host: 'pg-primary.db.svc', port: 6432, user: 'graphistry' });
    expect(w.image).toBe(PG_ISREADY_IMAGE);
    expect(w.args[0]).toContain("pg_isready '-h' 'pg-primary.db.svc' '-p' '6432' '-U' 'graphistry'");
    expect(WaitFor.postgres({ host: 'pg' }).args[0]).toContain("'-p' '5432'");
    expect(w.rules).toEqual([]);
  });

  test('wait images are pinned', () => {
    expect(ImageRef.parse(K8S_WAIT_FOR_IMAGE).pinned).toBe(true);
    expect(ImageRef.parse(PG_ISREADY_IMAGE).pinned).toBe(true);
  });

  test('rules of several waits merge without duplicates', () => {
    const rules = waitRules([WaitFor.service('redis'), WaitFor.service('dask-scheduler'), WaitFor.pods('x', { a: 'b' })]);
    expect(new Set(rules.map((r) => JSON.stringify(r))).size).toBe(rules.length);
    expect(rules.length).toBe(2);
  });

  test('wait containers go through the registry redirect and the security profile', () => {
    const chart = new Chart(new App(), 'c');
    Images.configure(chart, { registry: 'mirror.local' });
    const c = buildWaitContainer(new Construct(chart, 'x'), WaitFor.service('redis'), SecurityProfile.restricted());
    expect(c.image).toBe('mirror.local/groundnuty/k8s-wait-for:v2.0');
    expect(c.securityContext!.allowPrivilegeEscalation).toBe(false);
    expect(c.resources!.limits).toBeDefined();
  });

  test('fails when the postgres port is out of range or the host is invalid', () => {
    expect(() => WaitFor.postgres({ host: 'pg', port: 0 })).toThrow(/'postgres.port' is 0/);
    expect(() => WaitFor.postgres({ host: 'PG host' })).toThrow(/'postgres.host'/);
  });

  test('waits for two long Service names sharing a prefix get distinct container names', () => {
    const prefix = 'graphistry-analytics-customer-environment-dask-schedul';
    const a = WaitFor.service(`${prefix}-a`);
    const b = WaitFor.service(`${prefix}-b`);
    expect(a.name).not.toBe(b.name);
    for (const w of [a, b]) expect(w.name.length).toBeLessThanOrEqual(63);
    expect(WaitFor.service('redis').name).toBe('wait-for-redis');
  });

  test('fails when a pod wait selector is not a valid label selector', () => {
    // a comma in a value would smuggle a second requirement into the -l argument
    expect(() => WaitFor.pods('dask', { app: 'dask,tier=gpu' })).toThrow(/'waitFor.pods.selector.app' is "dask,tier=gpu"/);
    expect(() => WaitFor.pods('dask', { 'bad key': 'x' })).toThrow(/'waitFor.pods.selector' is "bad key"/);
  });

  test('fails when the service name is not a DNS label', () => {
    expect(() => WaitFor.service('Redis')).toThrow(/'waitFor.service' is "Redis"/);
  });
});
