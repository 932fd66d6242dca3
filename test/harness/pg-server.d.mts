/** Types of pg-server.mjs (plain JavaScript, shared with bench/). */
export function startServer(): Promise<{ url: string; stop: () => Promise<void> }>;
export function databaseUrl(baseUrl: string, database: string): string;
