export * from './errors';
export * from './image';
export * from './load';
export * from './quantity';
export * from './schema';
export * from './targets';
export * from './guarantees';
export * from './sops';
export { displayPath } from './read-file';
