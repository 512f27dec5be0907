// Two projects: `unit` (fast, no external binaries; `npm test`) and `integration` (real Caddy, nginx,
// promtool, nats-server; `npm run test:integration`, run by .ci/run after installing the Debian packages).
// README examples import the package by name, as a user would; map it to the sources.
const moduleNameMapper = { '^cdk8s-ops-kit$': '<rootDir>/lib/index.ts' };
const transform = { '^.+\\.ts$': '<rootDir>/jest.transform.js' };
module.exports = {
  projects: [
    {
      displayName: 'unit',
      testEnvironment: 'node',
      transform,
      moduleNameMapper,
      roots: ['<rootDir>/test'],
      testMatch: ['**/*.test.ts'],
      testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/integration/'],
    },
    {
      displayName: 'integration',
      testEnvironment: 'node',
      transform,
      moduleNameMapper,
      roots: ['<rootDir>/test/integration'],
      testMatch: ['**/*.test.ts'],
    },
  ],
};
