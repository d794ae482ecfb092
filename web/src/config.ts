/** Settings the server renders into index.html (src/modules/console); defaults for `vite dev`. */
export interface ConsoleConfig {
  appName: string;
  devMailbox: boolean;
  oauthProviders: string[];
}

function read(): ConsoleConfig {
  const fallback: ConsoleConfig = { appName: 'Basalt', devMailbox: import.meta.env.DEV, oauthProviders: [] };
  const raw = document.querySelector('meta[name="basalt-config"]')?.getAttribute('content');
  if (!raw) return fallback;
  try {
    return { ...fallback, ...(JSON.parse(raw) as Partial<ConsoleConfig>) };
  } catch {
    return fallback;
  }
}

export const config = read();

const PROVIDER_LABELS: Record<string, string> = { github: 'GitHub', google: 'Google', discord: 'Discord' };
export const providerLabel = (name: string) => PROVIDER_LABELS[name] ?? name.charAt(0).toUpperCase() + name.slice(1);
