#!/usr/bin/env node
/**
 * The `atrium` command (`npx atrium --help`): loads tsx, then runs the TypeScript CLI in
 * ../src/cli.ts, which talks to a running server's REST API.
 */
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli.ts');
process.exitCode = await main(process.argv.slice(2));
