export { assertNginxVariable, NginxDirective, renderNginxArg } from './directive';
export * from './server';
export * from './conf-file';
