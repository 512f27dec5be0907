export * from './health';
export * from './helm';
export * from './target';
export * from './ordering';
export * from './argocd';
