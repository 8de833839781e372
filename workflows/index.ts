// Every workflow type the worker registers; one module per domain.
export * from './compute';
export * from './runtimes';
export * from './apps';
export * from './flavors';
export * from './clusters';
export * from './webhooks';
export * from './bench';
export * from './sweep';
