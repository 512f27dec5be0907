import { CaddyDirective, CaddyEnvRef, Caddyfile, CaddyQuoted, CaddySite, renderArg } from '../../lib/ingress/caddyfile';

describe('renderArg (Caddyfile token quoting)', () => {
  test('leaves plain tokens bare and renders numbers and placeholders as written', () => {
    expect(renderArg('reverse_proxy')).toBe('reverse_proxy');
    expect(renderArg('/graph/socket.io*')).toBe('/graph/socket.io*');
    expect(renderArg('https://{host}{uri}')).toBe('https://{host}{uri}');
    expect(renderArg('a#b')).toBe('a#b'); // '#' starts a comment only at the start of a token
    expect(renderArg(308)).toBe('308');
  });

  test('quotes whitespace, quotes, a leading #, lone braces, heredoc markers, backslashes, backticks and the empty string', () => {
    expect(renderArg('max-age=1; includeSubDomains')).toBe('"max-age=1; includeSubDomains"');
    expect(renderArg('se"cret')).toBe('"se\\"cret"');
    expect(renderArg('#not-a-comment')).toBe('"#not-a-comment"');
    expect(renderArg('{')).toBe('"{"');
    expect(renderArg('}')).toBe('"}"');
    expect(renderArg('<<EOF')).toBe('"<<EOF"');
    expect(renderArg('a\\b')).toBe('"a\\b"');
    expect(renderArg('a`b')).toBe('"a`b"');
    expect(renderArg('')).toBe('""');
  });

  test('renders an environment reference as a quoted {$NAME}', () => {
    expect(renderArg(CaddyEnvRef.of('COOKIE_SECRET'))).toBe('"{$COOKIE_SECRET}"');
  });

  test('fails when a value holds a newline or another control character', () => {
    expect(() => renderArg('a\nb', 'x.secret')).toThrow(/'x.secret' is "a\\nb", but a Caddyfile token cannot hold one/);
    expect(() => renderArg('a\tb')).toThrow(/control characters/);
  });

  test('fails when a value holds {$ (Caddy would substitute an environment variable)', () => {
    expect(() => renderArg('x{$HOME}')).toThrow(/Caddy substitutes \{\$NAME\}/);
  });

  test('fails when a quoted value has a backslash before a quote or at its end', () => {
    expect(() => renderArg('a\\"b')).toThrow(/backslash/);
    expect(() => renderArg('a b\\')).toThrow(/backslash/);
  });

  test('fails when an environment reference is not a variable name', () => {
    expect(() => CaddyEnvRef.of('1BAD')).toThrow(/'caddyfile.env' is "1BAD"/);
  });
});

describe('Caddyfile rendering', () => {
  const file = new Caddyfile(
    [CaddyDirective.of('admin', ['off'])],
    [
      new CaddySite(['http://:8080'], [
        CaddyDirective.of('log_skip', ['/health']),
        CaddyDirective.of('@api', ['path', '/api/*']),
        CaddyDirective.block('handle', ['@api'], [CaddyDirective.block('reverse_proxy', [], [CaddyDirective.of('to', ['a:1', 'b:2']), CaddyDirective.of('lb_policy', ['first'])])]),
        CaddyDirective.block('handle', [], [CaddyDirective.of('respond', [404])], 'Everything else.'),
      ]),
    ],
    'Header line.',
  );
  const text = file.render();

  test('renders multi-line blocks with tab indentation, never a token after { on the same line', () => {
    expect(text).toBe(
      [
        '# Header line.',
        '{',
        '\tadmin off',
        '}',
        '',
        'http://:8080 {',
        '\tlog_skip /health',
        '',
        '\t@api path /api/*',
        '\thandle @api {',
        '\t\treverse_proxy {',
        '\t\t\tto a:1 b:2',
        '\t\t\tlb_policy first',
        '\t\t}',
        '\t}',
        '',
        '\t# Everything else.',
        '\thandle {',
        '\t\trespond 404',
        '\t}',
        '}',
        '',
      ].join('\n'),
    );
    for (const line of text.split('\n')) expect(line).not.toMatch(/\{\s*\S+.*\}\s*$/);
  });

  test('is deterministic', () => {
    expect(file.render()).toBe(text);
  });

  test('fails when a directive name or a site address is malformed', () => {
    expect(() => CaddyDirective.of('Bad Name')).toThrow(/'caddyfile.directive' is "Bad Name"/);
    expect(() => new CaddySite([], [])).toThrow(/at least one site address/);
    expect(() => new CaddySite(['exa mple.com'], [])).toThrow(/'caddyfile.site.addresses'/);
  });

  test('fails at construction when an argument cannot be rendered', () => {
    expect(() => CaddyDirective.of('respond', ['a\nb'])).toThrow(/'caddyfile.respond'/);
  });
});

describe('CaddyQuoted', () => {
  test('is always quoted, and still rejects what a quoted token cannot hold', () => {
    expect(renderArg(CaddyQuoted.of('plain'))).toBe('"plain"');
    expect(renderArg(CaddyQuoted.of('a"b'))).toBe('"a\\"b"');
    expect(() => renderArg(CaddyQuoted.of('a\nb'))).toThrow(/newlines/);
  });
});
