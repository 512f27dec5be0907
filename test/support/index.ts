// The test kit: one place for rendering releases, finding objects and matching them (aws-cdk Template/Match style).
export * from './match';
export * from './template';
export * from './workloads';
export * from './addresses';
export * from './data-services';
export * from './fixtures';
