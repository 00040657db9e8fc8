export interface Infra {
  databaseUrl: string;
  natsUrl: string;
  stop(): Promise<void>;
}

export async function ensureInfra(_opts: { dataDir: string; log: (line: string) => void; allowInstall: boolean }): Promise<Infra> {
  return {
    databaseUrl: process.env.DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres",
    natsUrl: process.env.NATS_URL ?? "nats://127.0.0.1:4222",
    stop: async () => {},
  };
}
