/**
 * @module Where auth finds the secret of an API key. The server looks keys up in the store on
 * every use, so a revoked key stops working at once; tests may use a fixed pair.
 */

export interface ApiKeySecrets {
  /** The secret of `apiKey` while the key is active; undefined when unknown or revoked. */
  activeSecret(apiKey: string): Promise<string | undefined>;
}

/** One fixed key pair (tests, tools). */
export function fixedApiKey(apiKey: string, apiSecret: string): ApiKeySecrets {
  return { activeSecret: async (key) => (key === apiKey ? apiSecret : undefined) };
}
