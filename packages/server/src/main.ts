/**
 * @module `npm start`: loads the configuration, starts the server and prints where it is and
 * how to call its API.
 */
import { loadConfig } from './config.js';
import { createServer } from './server.js';

async function main(): Promise<void> {
  const config = loadConfig();
  const server = await createServer(config);
  const url = await server.listen();
  const { apiKey, apiSecret, generated } = server.credentials;
  const publicUrl = url.replace('127.0.0.1', 'localhost');
  const lines = [
    '',
    `  Atrium is running at ${publicUrl}`,
    config.demo ? `  Demo page:           ${publicUrl}/  (open it in two tabs)` : '  Demo page:           off (ATRIUM_DEMO=0)',
    `  API key:             ${apiKey}`,
    `  API secret:          ${apiSecret}${generated ? '   (generated, kept in ' + config.dataDir + '/credentials.json)' : ''}`,
    `  Try:                 curl -u ${apiKey}:${apiSecret} -H 'content-type: application/json' \\`,
    `                         -d '{"title":"My fancy room"}' ${publicUrl}/api/v1/rooms`,
    '  CLI:                 npx atrium --help   (more API keys: npx atrium api-keys create)',
    '',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);

  const shutdown = (signal: string): void => {
    server.log.info({ signal }, 'shutting down');
    server.close().then(
      () => process.exit(0),
      (error: unknown) => {
        server.log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((error: unknown) => {
  process.stderr.write(`atrium: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
