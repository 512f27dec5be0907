import { Duration } from 'cdk8s';
import {
  assertCidr, assertGid, assertHostname, assertInt, assertIp, assertIpOrCidr, assertNodePort, assertPort, assertQuantity,
  assertReplicas, assertResolver, assertUid, assertWholeMilliseconds, assertWholeSeconds, assertWildcardHost, ConfigError,
  familiesFullyCovered, parseCidr, parseHostPort, syncWave,
} from '../../lib/core';
import { ipFamily, isIp, isIPv6Literal, parseServerUrl, ServerUrlRules } from '../../lib/core/validate';
import { rng } from '../support/random';

/** The ConfigError a call throws (fails the test when it throws nothing). */
function errorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

describe('integers', () => {
  test('accepts whole int32 values and returns them', () => {
    expect(assertInt('n', 0)).toBe(0);
    expect(assertInt('n', 2 ** 31 - 1)).toBe(2 ** 31 - 1);
    expect(assertInt('n', -5, { min: -10, max: 10 })).toBe(-5);
  });

  test('fails when a number is emitted in exponent form (1e+21), names the prop, value and range', () => {
    const e = errorOf(() => assertInt('syncWave', 1e21));
    expect(e.prop).toBe('syncWave');
    expect(e.value).toBe(1e21);
    expect(e.message).toContain("'syncWave' is 1e+21");
    expect(e.message).toContain('allowed: a whole number (32-bit)');
    expect(() => syncWave('nats.syncWave', 1e21)).toThrow("'nats.syncWave' is 1e+21, but it would be written in exponent form");
  });

  test('fails when a value is fractional, NaN, infinite or outside the range', () => {
    expect(errorOf(() => assertInt('n', 1.5)).message).toBe("'n' is 1.5, but it is not a whole number; allowed: a whole number (32-bit)");
    expect(errorOf(() => assertInt('n', NaN)).message).toContain("'n' is NaN");
    expect(errorOf(() => assertInt('n', Infinity)).message).toContain("'n' is Infinity");
    expect(errorOf(() => assertInt('n', 2 ** 31)).message).toBe("'n' is 2147483648, but it is above 2147483647; allowed: a whole number (32-bit)");
    expect(errorOf(() => assertInt('n', 0, { min: 1, max: 9 })).message).toBe("'n' is 0, but it is below 1; allowed: a whole number 1-9");
  });

  test('fails when replicas are negative', () => {
    expect(assertReplicas('replicas', 0)).toBe(0);
    expect(errorOf(() => assertReplicas('replicas', -1)).message).toBe("'replicas' is -1, but it is below 0; allowed: a whole number >= 0");
    expect(errorOf(() => assertReplicas('replicas', 0, 1)).message).toContain('allowed: a whole number >= 1');
  });

  test('sync waves render as plain integers', () => {
    expect(syncWave('syncWave', -1)).toBe('-1');
  });
});

describe('ports and ids', () => {
  test('ports are 1-65535 (or from a minimum)', () => {
    expect(assertPort('port', 80)).toBe(80);
    expect(errorOf(() => assertPort('httpPort', 0)).message).toBe("'httpPort' is 0; allowed: a port number 1-65535");
    expect(errorOf(() => assertPort('httpPort', 65536)).message).toBe("'httpPort' is 65536; allowed: a port number 1-65535");
    expect(errorOf(() => assertPort('httpPort', 80, { min: 1024 })).message).toBe("'httpPort' is 80; allowed: a port number 1024-65535");
  });

  test('fails when a node port is outside 30000-32767', () => {
    expect(assertNodePort('nodePort', 30080)).toBe(30080);
    for (const p of [80, 29999, 32768, 30000.5]) {
      const e = errorOf(() => assertNodePort('service.type.nodePort', p));
      expect(e.message).toBe(`'service.type.nodePort' is ${p}; allowed: a port in the NodePort range 30000-32767 (the API server rejects any other)`);
    }
  });

  test('fails when a uid or gid is above 2^31-1, negative, or root where root is not allowed', () => {
    expect(assertUid('runAsUser', 0)).toBe(0);
    expect(assertGid('fsGroup', 2 ** 31 - 1)).toBe(2 ** 31 - 1);
    expect(errorOf(() => assertUid('runAsUser', 2 ** 31)).message).toBe("'runAsUser' is 2147483648, but it is above 2147483647; allowed: a user id 0-2147483647");
    expect(errorOf(() => assertUid('runAsUser', 0, { nonZero: true })).message).toBe("'runAsUser' is 0, but it is below 1; allowed: a user id 1-2147483647 (not root)");
    expect(errorOf(() => assertGid('fsGroup', -1)).message).toContain('allowed: a group id 0-2147483647');
  });
});

describe('host names', () => {
  test('fails when a host is not a lowercase DNS name (upper case, underscore, spaces, empty)', () => {
    expect(assertHostname('host', 'app.example.com')).toBe('app.example.com');
    for (const h of ['UPPER_case', 'has space.example.com', 'a..b', '-x.example.com']) {
      expect(errorOf(() => assertHostname('ingress.hosts[0]', h)).message).toBe(`'ingress.hosts[0]' is ${JSON.stringify(h)}; allowed: a lowercase DNS name such as app.example.com (letters, digits, '-' and '.')`);
    }
    expect(errorOf(() => assertHostname('ingress.hosts[0]', '')).message).toContain('but it is empty');
  });

  test('wildcards take one leading *. only', () => {
    expect(assertWildcardHost('h', '*.example.com')).toBe('*.example.com');
    expect(assertWildcardHost('h', 'example.com')).toBe('example.com');
    for (const h of ['*example.com', 'a.*.example.com', '*.*.example.com', '*']) {
      expect(errorOf(() => assertWildcardHost('ingress.tls[0].hosts[0]', h)).message).toContain("allowed: a lowercase DNS name such as app.example.com, or a wildcard such as *.example.com (one leading '*.' only)");
    }
  });
});

describe('addresses', () => {
  test('IPs: dotted IPv4 without leading zeros, IPv6', () => {
    expect(assertIp('ip', '10.0.0.5')).toBe('10.0.0.5');
    expect(assertIp('ip', 'fd00::5')).toBe('fd00::5');
    for (const v of ['999.1.1.1', '010.0.0.1', '10.0.0', 'fd00::g', 'localhost', '']) {
      expect(errorOf(() => assertIp('loadBalancerIP', v)).message).toBe(`'loadBalancerIP' is ${JSON.stringify(v)}; allowed: an IPv4 or IPv6 address such as 10.0.0.5 or fd00::5`);
    }
    expect(errorOf(() => assertIp('ip', 'fd00::1', 4)).message).toContain('allowed: an IPv4 address');
  });

  test('CIDRs parse like net.ParseCIDR, with the covered range', () => {
    expect(parseCidr('10.1.2.3/8')).toEqual({ family: 4, prefix: 8, first: 0x0a000000n, last: 0x0affffffn });
    expect(parseCidr('fd00::/8')?.first).toBe(0xfdn << 120n);
    expect(parseCidr('::ffff:10.0.0.0/104')?.family).toBe(6);
    for (const v of ['10.0.0.0/33', '10.0.0.0', '10.0.0.0/08', 'fd00::/129', '300.0.0.0/8', '10.0.0.0/-1']) expect(parseCidr(v)).toBeUndefined();
    expect(errorOf(() => assertCidr('sourceRanges[0]', '10.0.0.0/33')).message).toBe("'sourceRanges[0]' is \"10.0.0.0/33\"; allowed: an IPv4 or IPv6 CIDR such as 10.20.0.0/16 or 2001:db8::/32 (address/prefix, IPv4 prefix at most 32, IPv6 at most 128)");
  });

  test('fails when an entry is neither an IP nor a CIDR', () => {
    expect(assertIpOrCidr('p', '10.0.0.0/8')).toBe('10.0.0.0/8');
    expect(assertIpOrCidr('p', '192.168.1.10')).toBe('192.168.1.10');
    expect(errorOf(() => assertIpOrCidr('tls.trustedProxies[0]', '999.0.0.0/8')).message).toContain('allowed: an IPv4 or IPv6 address or CIDR');
  });

  test('a union of ranges covering a whole family is detected (0.0.0.0/1 + 128.0.0.0/1)', () => {
    expect(familiesFullyCovered(['0.0.0.0/1', '128.0.0.0/1'])).toEqual([4]);
    expect(familiesFullyCovered(['0.0.0.0/2', '64.0.0.0/2', '128.0.0.0/1', '::/1', '8000::/1'])).toEqual([4, 6]);
    expect(familiesFullyCovered(['0.0.0.0/0'])).toEqual([4]);
    expect(familiesFullyCovered(['0.0.0.0/1', '128.0.0.0/2'])).toEqual([]);
    expect(familiesFullyCovered(['192.168.0.0/16', '10.0.0.0/8'])).toEqual([]);
  });

  test('server URL: scheme, host and port; an IPv6 host loses its brackets', () => {
    const rules: ServerUrlRules = { schemes: ['redis', 'rediss'], schemesAllowed: 'a redis:// or rediss:// URL', example: 'a URL such as redis://c:6379', credentialsFix: 'give auth' };
    expect(parseServerUrl('url', 'rediss://cache.corp:6380', rules)).toEqual({ scheme: 'rediss', host: 'cache.corp', port: 6380 });
    expect(parseServerUrl('url', 'redis://[fd00::5]/', rules)).toEqual({ scheme: 'redis', host: 'fd00::5' });
    expect(parseServerUrl('url', 'redis://10.0.0.5', { ...rules, port: false })).toEqual({ scheme: 'redis', host: '10.0.0.5' });
  });

  test('fails when a server URL does not parse, has another scheme, credentials, a path, query or fragment, or a refused port', () => {
    const rules: ServerUrlRules = { schemes: ['nats'], schemesAllowed: 'a nats:// URL', example: 'a URL such as nats://n:4222', credentialsFix: 'give auth', onlyFix: 'no path' };
    const bad: Array<[string, string, Partial<ServerUrlRules>?]> = [
      ['://n:4222', "'url' is \"://n:4222\"; allowed: a URL such as nats://n:4222"],
      ['tls://n:4222', "'url' is \"tls://n:4222\"; allowed: a nats:// URL"],
      ['nats://u:secret@n:4222', "'url' is \"nats://<credentials>@n:4222\", but give auth; allowed: a URL without credentials"],
      ['nats://n:4222/x', "'url' is \"nats://n:4222/x\", but no path; allowed: scheme, host and port only"],
      ['nats://n?x=1', "'url' is \"nats://n?x=1\", but no path; allowed: scheme, host and port only"],
      ['nats://n#x', "'url' is \"nats://n#x\", but no path; allowed: scheme, host and port only"],
      ['nats://n:4222', "'url' is \"nats://n:4222\", but no path; allowed: scheme and host only", { port: false }],
    ];
    for (const [v, message, extra] of bad) expect(errorOf(() => parseServerUrl('url', v, { ...rules, ...extra })).message).toContain(message);
    // The secret never reaches the message.
    expect(errorOf(() => parseServerUrl('url', 'nats://u:secret@n:4222', rules)).message).not.toContain('secret');
  });

  test('host:port: DNS names, IPv4, bracketed IPv6, port in range', () => {
    expect(parseHostPort('u', 'grafana.ns.svc.cluster.local:3000')).toEqual({ host: 'grafana.ns.svc.cluster.local', port: 3000 });
    expect(parseHostPort('u', '[fd00::5]:9100')).toEqual({ host: '[fd00::5]', port: 9100 });
    const bad: Array<[string, string]> = [
      ['999.999.999.999:80', '"999.999.999.999" is not an IPv4 address'],
      ['[nothex]:80', '[nothex] is not a bracketed IPv6 address'],
      ['host:0', 'port 0 is out of range'],
      ['Host:80', '"Host" is not a lowercase DNS name or IPv4 address'],
      ['http://x:80', 'it has a scheme'],
    ];
    for (const [v, why] of bad) expect(errorOf(() => parseHostPort('upstream', v)).message).toContain(`'upstream' is ${JSON.stringify(v)}, but ${why}`);
  });

  test('resolvers are IP[:port] with an optional network', () => {
    for (const v of ['10.96.0.10', '10.96.0.10:53', 'udp/10.96.0.10:53', 'tcp/[fd00::a]:53', 'fd00::a']) expect(assertResolver('r', v)).toBe(v);
    for (const v of ['kube-dns:53', 'udp/999.0.0.1:53', '10.0.0.1:70000', 'sctp/10.0.0.1:53']) {
      expect(errorOf(() => assertResolver('upstream.resolvers[0]', v)).message).toContain('allowed: a resolver IP address with an optional port and udp/ or tcp/ prefix');
    }
  });
});

describe('durations and quantities', () => {
  test('whole seconds and milliseconds within bounds', () => {
    expect(assertWholeSeconds('t', Duration.seconds(5))).toBe(5);
    expect(errorOf(() => assertWholeSeconds('probe.period', Duration.millis(1500))).message).toBe("'probe.period' is \"1.5s\"; allowed: a whole number of seconds >= 1");
    expect(errorOf(() => assertWholeSeconds('t', Duration.seconds(0))).message).toContain('allowed: a whole number of seconds >= 1');
    expect(assertWholeMilliseconds('t', Duration.seconds(0), { min: 0 })).toBe(0);
    expect(errorOf(() => assertWholeMilliseconds('failover.tryDuration', Duration.millis(0.5), { min: 0 })).message).toContain('allowed: a whole number of milliseconds >= 0 (0 turns it off)');
  });

  test('quantities follow the Kubernetes grammar', () => {
    for (const q of ['500m', '1Gi', '2', '1.5G', '1e3']) expect(assertQuantity('q', q)).toBe(q);
    for (const q of ['512mb', '1 Gi', '', 'Gi', '1.2.3']) expect(errorOf(() => assertQuantity('storage', q)).message).toContain('allowed: a Kubernetes quantity');
    expect(errorOf(() => assertQuantity('storage', '-1Gi')).message).toContain('not negative');
  });
});

describe('IP literals without node\'s patterns', () => {
  // isIp, ipFamily and isIPv6Literal read the text themselves instead of calling node's net.isIPv4 and net.isIPv6 (the
  // IPv6 pattern costs about 15 ms on first use, and the net module loads node's streams); the answers must be node's.
  const net = require('net') as typeof import('net');
  /** The text, with what the three answer and what node answers where they differ (nothing when they agree). */
  const mismatch = (s: string) => {
    const family = net.isIPv4(s) ? 4 : net.isIPv6(s) ? 6 : undefined;
    const ours = [isIPv6Literal(s), isIp(s), ipFamily(s)];
    const nodes = [family === 6, family !== undefined, family];
    return ours.every((v, i) => v === nodes[i]) ? undefined : { text: s, ours, nodes };
  };
  const samples = [
    '::', '::1', 'fe80::1', '2001:db8::8a2e:370:7334', '::ffff:10.0.0.1', '1::2::3', 'fe80::1%eth0', 'gggg::1', ':', '[::1]',
    '10.0.0.1', '0.0.0.0', '255.255.255.255', '256.0.0.1', '01.2.3.4', '1.2.3', '1.2.3.4.5', '1..2.3', '',
    'example.com', 'nats.iot.svc.cluster.local', 'a:b', 'localhost', '10.0.0.1:80', ' 10.0.0.1', '１.2.3.4',
    '1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7::', '::2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8::', '1:2:3:4:5:6::7:8', '1:2:3:4:5:6:1.2.3.4',
    '1:2:3:4:5::1.2.3.4', '1:2:3:4:5:6::1.2.3.4', '1.2.3.4::', '1.2.3.4::1', '::1.2.3.4', '::1.2.3.04', '::1.2.3.256',
    ':::', '1:::2', ':1::2', '1::2:', '::%1', '::1%', '::1%a%b', '::1%a::b', '::1%a.b-c:d', '::1% ', '1:2%a::b:3:4:5:6:7:8',
    '00000::1', 'ABCD::EF01', 'abcd::ef0g', '\u0010::1', '::\n', '::1\n', '1.2.3.4\n', '1.2.3.4 ', '99.99.99.99', '199.255.249.0',
  ];
  test.each(samples)('%j', (s) => expect(mismatch(s)).toBeUndefined());

  test('node\'s answers on generated text: addresses, near-addresses and noise', () => {
    const random = rng(18);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)];
    const int = (n: number) => Math.floor(random() * n);
    const hexDigits = '0123456789abcdefABCDEF';
    const group = () => Array.from({ length: 1 + int(pick([4, 4, 4, 5])) }, () => pick([...hexDigits])).join('');
    const octet = () => pick([String(int(256)), String(int(10)), String(250 + int(10)), `0${int(10)}`, String(int(1000))]);
    const v4 = () => Array.from({ length: pick([4, 4, 4, 3, 5]) }, octet).join('.');
    const address = () => {
      const groups = Array.from({ length: pick([int(10), 6 + int(3), 7, 8]) }, group);
      if (random() < 0.3) groups.push(v4());
      if (random() < 0.6) groups.splice(int(groups.length + 1), 0, '');
      let text = groups.join(':');
      if (text.startsWith(':') && random() < 0.8) text = `:${text}`;
      if (text.endsWith(':') && random() < 0.8) text = `${text}:`;
      if (random() < 0.15) text += `%${pick(['eth0', 'en-1.2', 'a:b', '', 'x%y', 'é', ' '])}`;
      return text;
    };
    const alphabet = [...'0123456789abcdefABCDEFgz:.%-', ' ', '\n', '\u0010', '１'];
    const mutate = (s: string) => {
      const i = int(s.length + 1);
      const c = pick(alphabet);
      return pick([() => s.slice(0, i) + c + s.slice(i), () => s.slice(0, i) + s.slice(i + 1), () => s.slice(0, i) + c + s.slice(i + 1)])();
    };
    let addresses = 0;
    let v6 = 0;
    const differ = [];
    for (let n = 0; n < 40000; n++) {
      const kind = n % 4;
      const s = kind === 0 ? v4() : kind === 1 ? address() : kind === 2 ? mutate(pick([address, v4])()) : Array.from({ length: int(12) }, () => pick(alphabet)).join('');
      if (net.isIP(s)) addresses++;
      if (net.isIPv6(s)) v6++;
      const m = mismatch(s);
      if (m) differ.push(m);
    }
    expect(differ).toEqual([]);
    // The generator reaches both answers often.
    expect(v6).toBeGreaterThan(2000);
    expect(addresses - v6).toBeGreaterThan(500);
    expect(addresses).toBeLessThan(30000);
  });
});
