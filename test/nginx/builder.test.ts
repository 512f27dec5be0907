import { Duration } from 'cdk8s';
import {
  NginxAction,
  NginxConfFile,
  NginxDirective,
  NginxListen,
  NginxLocation,
  NginxMainConfig,
  NginxMap,
  NginxServer,
  NginxVar,
  renderNginxArg,
} from '../../lib/nginx';

const proxyServer = (name: string, port: number, listen = NginxListen.address('127.0.0.1', 8080)) =>
  new NginxServer({
    listen: [listen],
    serverNames: [name],
    locations: [NginxLocation.prefix('/', NginxAction.proxyPass(`http://127.0.0.1:${port}`, { httpVersion: '1.1', headers: [['Host', NginxVar.of('$http_host')]] }))],
  });

describe('nginx arguments', () => {
  test('plain tokens stay bare, variables stay live, anything nginx would split is quoted', () => {
    expect(renderNginxArg('a', 'proxy')).toBe('proxy');
    expect(renderNginxArg('a', '$http_host')).toBe('$http_host');
    expect(renderNginxArg('a', 42)).toBe('42');
    expect(renderNginxArg('a', '')).toBe('""');
    expect(renderNginxArg('a', 'two words')).toBe('"two words"');
    expect(renderNginxArg('a', 'semi;colon')).toBe('"semi;colon"');
    expect(renderNginxArg('a', 'say "hi" \\ bye')).toBe('"say \\"hi\\" \\\\ bye"');
    expect(renderNginxArg('a', '{brace}')).toBe('"{brace}"');
  });

  test('fails when an argument carries a newline (it would inject a directive)', () => {
    expect(() => NginxDirective.of('return', 200, 'ok\n}\nserver {')).toThrow(/'nginx.return\[1\]' is "ok\\n}\\nserver {", but a newline/);
  });

  test('fails when a directive name is not a directive name', () => {
    expect(() => NginxDirective.of('proxy pass')).toThrow(/'nginx.directive' is "proxy pass"/);
  });
});

describe('NginxConfFile', () => {
  const file = new NginxConfFile({ comment: ['generated'] })
    .addMap(new NginxMap({ source: '$http_upgrade', variable: '$conn', defaultValue: 'upgrade', entries: [['', 'close']] }))
    .addServer(new NginxServer({ comment: 'catch-all', listen: [NginxListen.address('127.0.0.1', 8080, { defaultServer: true })], serverNames: ['_'], directives: [NginxDirective.of('return', 421)] }))
    .addServer(
      new NginxServer({
        listen: [NginxListen.address('127.0.0.1', 8080)],
        serverNames: ['forge-etl-python'],
        directives: [NginxDirective.of('client_max_body_size', 0)],
        locations: [
          NginxLocation.exact('/healthz', NginxAction.respond(200, 'ok')),
          NginxLocation.prefix(
            '/',
            NginxAction.proxyPass('http://127.0.0.1:8200', {
              httpVersion: '1.1',
              headers: [['Upgrade', NginxVar.of('$http_upgrade')], ['Connection', NginxVar.of('$conn')]],
              readTimeout: Duration.hours(1),
              sendTimeout: Duration.minutes(5),
              buffering: false,
              requestBuffering: false,
            }),
          ),
        ],
      }),
    );
  const text = file.render();

  test('renders maps and servers in order, four-space indented, ending in one newline', () => {
    expect(text).toMatchSnapshot();
    expect(text.startsWith('# generated\n\nmap $http_upgrade $conn {\n    default upgrade;\n    "" close;\n}\n')).toBe(true);
    expect(text).toContain('# catch-all\nserver {\n    listen 127.0.0.1:8080 default_server;\n    server_name _;\n    return 421;\n}');
    expect(text).toContain('    location = /healthz {\n        return 200 ok;\n    }');
    expect(text).toContain('        proxy_read_timeout 3600s;\n        proxy_send_timeout 300s;\n        proxy_buffering off;\n        proxy_request_buffering off;');
    expect(text.endsWith('}\n')).toBe(true);
  });

  test('is deterministic', () => {
    expect(file.render()).toBe(text);
  });

  test('the same name may be served on two different listen addresses', () => {
    const f = new NginxConfFile().addServer(proxyServer('a', 1)).addServer(proxyServer('a', 2, NginxListen.port(9090)));
    expect(f.serverBlocks).toHaveLength(2);
  });

  test('fails when two servers on one address answer for the same name (nginx would ignore the second)', () => {
    const f = new NginxConfFile().addServer(proxyServer('streamgl-gpu', 8090));
    expect(() => f.addServer(proxyServer('streamgl-gpu', 8091))).toThrow(/'nginx.server.serverNames' is "streamgl-gpu", but nginx would ignore the second server/);
  });

  test('fails when two servers claim default_server on one address', () => {
    const def = () => new NginxServer({ listen: [NginxListen.port(80, { defaultServer: true })], directives: [NginxDirective.of('return', 404)] });
    expect(() => new NginxConfFile().addServer(def()).addServer(def())).toThrow(/'nginx.server.listen' is "\*:80".*one default server/);
  });

  test('fails when two maps define one variable', () => {
    const m = () => new NginxMap({ source: '$http_upgrade', variable: '$conn', defaultValue: 'upgrade' });
    expect(() => new NginxConfFile().addMap(m()).addMap(m())).toThrow(/'nginx.map.variable' is "\$conn"/);
  });
});

describe('NginxServer and friends', () => {
  test('fails when a location is declared twice', () => {
    const loc = () => NginxLocation.prefix('/', NginxAction.respond(404));
    expect(() => new NginxServer({ listen: [NginxListen.port(80)], locations: [loc(), loc()] })).toThrow(/'nginx.server.locations' is "\/"/);
  });

  test('an exact and a prefix location on the same path are distinct', () => {
    expect(() => new NginxServer({ listen: [NginxListen.port(80)], locations: [NginxLocation.exact('/', NginxAction.respond(200)), NginxLocation.prefix('/', NginxAction.respond(404))] })).not.toThrow();
  });

  test('fails when a header is set twice', () => {
    expect(() => NginxAction.proxyPass('http://a:1', { headers: [['Host', 'a'], ['host', 'b']] })).toThrow(/'nginx.proxy_set_header' is "host"/);
  });

  test('fails on a bad upstream URL, server name, port, status or path', () => {
    expect(() => NginxAction.proxyPass('127.0.0.1:8200')).toThrow(/'nginx.proxy_pass'/);
    expect(() => NginxAction.proxyPass('http://a:1; return 200')).toThrow(/'nginx.proxy_pass'/);
    expect(() => proxyServer('Bad_Name', 1)).toThrow(/'nginx.server.serverNames' is "Bad_Name"/);
    expect(() => NginxListen.port(0)).toThrow(/'nginx.listen.port' is 0/);
    expect(() => NginxListen.address('not an ip', 80)).toThrow(/'nginx.listen.address'/);
    expect(() => NginxAction.respond(999)).toThrow(/'nginx.return' is 999/);
    expect(() => NginxLocation.prefix('api', NginxAction.respond(200))).toThrow(/'nginx.location' is "api"/);
    expect(() => new NginxServer({ listen: [] })).toThrow(/'nginx.server.listen'/);
  });

  test('fails when a map uses a keyword as a key or a variable without $', () => {
    expect(() => new NginxMap({ source: '$a', variable: '$b', defaultValue: 'x', entries: [['default', 'y']] })).toThrow(/'nginx.map.entries' is "default"/);
    expect(() => new NginxMap({ source: 'a', variable: '$b', defaultValue: 'x' })).toThrow(/'nginx.map.source' is "a"/);
  });
});

describe('NginxMainConfig', () => {
  test('wraps http-context files into a whole nginx.conf', () => {
    const conf = new NginxMainConfig({
      main: [NginxDirective.of('pid', '/tmp/x/nginx.pid')],
      events: [NginxDirective.of('worker_connections', 64)],
      http: [NginxDirective.of('access_log', 'off')],
      files: [new NginxConfFile().addServer(proxyServer('a', 1))],
    }).render();
    expect(conf).toMatchSnapshot();
    expect(conf.startsWith('pid /tmp/x/nginx.pid;\nevents {\n    worker_connections 64;\n}\nhttp {\n    access_log off;\n\n    server {\n        listen 127.0.0.1:8080;\n')).toBe(true);
  });
});

describe('hostile values (issue 19)', () => {
  test('fails when a header value holds a literal "$" (nginx would interpolate it); NginxVar references a variable', () => {
    expect(() => NginxAction.proxyPass('http://a:1', { headers: [['X-Token', 'abc$host']] })).toThrow(
      `'nginx.proxy_set_header.X-Token' is "abc$host", but nginx reads "$" as the start of a variable name and has no escape for a literal "$"; allowed: a literal without "$", or NginxVar.of('$name') to reference a variable`,
    );
    expect(() => NginxAction.respond(200, 'costs $5')).toThrow(`'nginx.return.text' is "costs $5"`);
    const rendered = NginxLocation.prefix('/', NginxAction.proxyPass('http://a:1', { headers: [['Host', NginxVar.of('$http_host')], ['X-Mode', 'plain text']] })).render().join('\n');
    expect(rendered).toContain('proxy_set_header Host $http_host;');
    expect(rendered).toContain('proxy_set_header X-Mode "plain text";');
    expect(() => NginxVar.of('http_host')).toThrow(`'nginx.variable' is "http_host"`);
  });

  test('a map key starting with "~" is escaped, so nginx matches the text instead of a regular expression', () => {
    const m = new NginxMap({ source: '$http_x_k', variable: '$r', defaultValue: 'none', entries: [['~a.c', 'literal'], ['\\x', 'slash']] });
    expect(m.render()).toEqual(['map $http_x_k $r {', '    default none;', '    "\\\\~a.c" literal;', '    "\\\\\\\\x" slash;', '}']);
    expect(() => new NginxMap({ source: '$a', variable: '$b', defaultValue: 'x', entries: [['k', 'has$var']] })).toThrow(`'nginx.map.entries.k' is "has$var"`);
  });

  test('fails when two servers are default on the same socket written differently (80 and 0.0.0.0:80)', () => {
    const file = new NginxConfFile().addServer(new NginxServer({ listen: [NginxListen.port(80, { defaultServer: true })], serverNames: ['_'] }));
    expect(() => file.addServer(new NginxServer({ listen: [NginxListen.address('0.0.0.0', 80, { defaultServer: true })], serverNames: ['a.example.com'] }))).toThrow(
      "'nginx.server.listen' is \"*:80\", but nginx refuses a second default_server; allowed: one default server per address and port",
    );
  });

  test('fails when one host name is claimed on the same socket written differently (localhost and 127.0.0.1), or through .example.com', () => {
    const file = new NginxConfFile().addServer(new NginxServer({ listen: [NginxListen.address('127.0.0.1', 81)], serverNames: ['b.example.com', 'example.com'] }));
    expect(() => file.addServer(new NginxServer({ listen: [NginxListen.address('localhost', 81)], serverNames: ['b.example.com'] }))).toThrow(
      "'nginx.server.serverNames' is \"b.example.com\", but nginx would ignore the second server for it; allowed: a host name no other server on 127.0.0.1:81 answers for",
    );
    expect(() => file.addServer(new NginxServer({ listen: [NginxListen.address('127.0.0.1', 81)], serverNames: ['.example.com'] }))).toThrow("'nginx.server.serverNames' is \".example.com\"");
    expect(NginxListen.address('[0:0::1]', 80).key).toBe('[::1]:80');
  });
});
