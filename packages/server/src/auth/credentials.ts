/**
 * @module The API key pair: from the environment, or generated on first start and kept in the
 * data directory (mode 0600) so a newcomer can call the API right away.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

/**
 * A new API secret: 256 random bits, base64url, behind an `sk_` prefix so it never starts with a
 * dash (which command lines would read as an option).
 */
export function generateApiSecret(): string {
  return `sk_${crypto.randomBytes(32).toString('base64url')}`;
}

export interface ApiCredentials {
  apiKey: string;
  apiSecret: string;
}

const fileSchema = z.object({ apiKey: z.string().min(8), apiSecret: z.string().min(16) });

export const CREDENTIALS_FILE = 'credentials.json';

/** Returns the configured pair, else the stored one, else a new stored one (`generated: true`). */
export function loadOrCreateCredentials(
  dataDir: string,
  fromEnv: { apiKey: string | null; apiSecret: string | null },
): ApiCredentials & { generated: boolean; source: 'env' | 'file' } {
  if (fromEnv.apiKey && fromEnv.apiSecret) {
    return { apiKey: fromEnv.apiKey, apiSecret: fromEnv.apiSecret, generated: false, source: 'env' };
  }
  const file = path.join(dataDir, CREDENTIALS_FILE);
  if (fs.existsSync(file)) {
    const parsed = fileSchema.safeParse(JSON.parse(fs.readFileSync(file, 'utf8')));
    if (!parsed.success) throw new Error(`${file} is not a valid credentials file; delete it to generate a new pair`);
    return { ...parsed.data, generated: false, source: 'file' };
  }
  const created: ApiCredentials = {
    apiKey: `AK${crypto.randomBytes(9).toString('base64url')}`,
    apiSecret: generateApiSecret(),
  };
  fs.mkdirSync(dataDir, { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, `${JSON.stringify(created, null, 2)}\n`, { mode: 0o600 });
  fs.renameSync(tmp, file);
  return { ...created, generated: true, source: 'file' };
}
