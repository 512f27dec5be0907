export { assertNginxVariable, NginxDirective, NginxVar, renderNginxArg, renderNginxValue } from './directive';
export * from './server';
export * from './conf-file';
