/**
 * Side-effect module: what js-libp2p (written for Node 22) needs of Node 20. Import it before anything
 * that loads libp2p; ES modules evaluate in import order, so the shim is in place when libp2p's code runs.
 */

declare global {
  interface PromiseWithResolvers<T> { promise: Promise<T>; resolve: (value: T | PromiseLike<T>) => void; reject: (reason?: unknown) => void }
  interface PromiseConstructor { withResolvers?<T>(): PromiseWithResolvers<T> }
}

// Promise.withResolvers arrived in Node 22; libp2p's streams and queues call it.
if (typeof Promise.withResolvers !== 'function') {
  Promise.withResolvers = function withResolvers<T>(): PromiseWithResolvers<T> {
    let resolve!: (value: T | PromiseLike<T>) => void;
    let reject!: (reason?: unknown) => void;
    const promise = new Promise<T>((a, b) => { resolve = a; reject = b; });
    return { promise, resolve, reject };
  };
}

export {};
