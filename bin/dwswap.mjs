#!/usr/bin/env node
// Runs the dwswap CLI from its TypeScript sources (tsx registers the loader for this process).
import { register } from 'tsx/esm/api';
register();
await import(new URL('../src-main/cli/main.ts', import.meta.url).href);
