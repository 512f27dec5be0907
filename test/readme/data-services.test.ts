import * as fs from 'fs';
import * as path from 'path';
import { App } from 'cdk8s';
import { PostgresEnv } from '../../lib/postgres';
import { DemoWorkload, envOf, Template, violationsOf } from '../support';
import { buildDataServices } from './data-services';

const README = fs.readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8');
const EXAMPLE = fs.readFileSync(path.join(__dirname, 'data-services.ts'), 'utf8');

describe('README data services example', () => {
  test('the README quotes test/readme/data-services.ts verbatim', () => {
    const m = README.match(/<!-- README-DATA-SERVICES:START -->\n```ts\n([\s\S]*?)```\n<!-- README-DATA-SERVICES:END -->/);
    expect(m).not.toBeNull();
    expect(m![1]).toBe(EXAMPLE);
  });

  test('with a client connected to each, as the comment says, the app verifies clean and the client gets one env of each', () => {
    const app = new App();
    const s = buildDataServices(app);
    const data = app.node.findChild('data') as any;
    new DemoWorkload(data, 'Api', {
      name: 'api',
      connect: [
        (c) => s.postgres.connect(c, { database: 'app', login: s.owner, env: [PostgresEnv.url()] }),
        s.cache, s.nats, s.files, s.qdrant,
      ],
    });
    expect(violationsOf(app)).toEqual([]);
    const env = envOf(Template.fromRelease(data).container('Deployment', 'api', 'main'));
    expect(Object.keys(env)).toEqual([
      'DATABASE_URL', 'VALKEY_URL', 'VALKEY_READ_URL', 'VALKEY_PASSWORD', 'NATS_URL', 'NATS_REPLICAS', 'NATS_TOKEN',
      'S3_BUCKET_NAME', 'AWS_ENDPOINT_URL', 'S3_FORCE_PATH_STYLE', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'QDRANT_URL', 'QDRANT_API_KEY',
    ]);
    expect(env.NATS_REPLICAS).toBe('3');
    expect(env.QDRANT_URL).toBe('http://data-qdrant.data.svc:6334');
  });
});
