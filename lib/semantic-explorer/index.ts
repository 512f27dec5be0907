export * from './images';
export * from './semantic-explorer';
