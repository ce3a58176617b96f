// Injected by the bundler where the engine uses Node's global Buffer: the `buffer` package.
export { Buffer } from 'buffer';
