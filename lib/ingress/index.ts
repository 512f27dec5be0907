export * from './caddyfile';
export * from './tls';
export * from './routing';
export * from './caddy-config';
export * from './caddy-ingress';
