import type { Plugin } from 'graphql-yoga';

// Names for the gateway's plugins, so that the cost ledger (`npm run bench -- --ab`) can leave
// one out at a time and measure what it costs an executed request. Nothing else reads them.

const NAME = Symbol('gatherql.pluginName');

/** The names a plugin list may leave out; each is the plugin's file without `use-`. */
export const PLUGIN_NAMES = [
  'operation-facts',
  'request-id',
  'server-timing',
  'request-log',
  'readiness',
  'metrics',
  'graphiql-page',
  'rate-limit',
  'subscriptions',
  'query-limits',
  'json-params',
  'upstream-cost',
  'trusted-documents',
  'incremental-delivery',
  'http-caching',
] as const;

export type PluginName = (typeof PLUGIN_NAMES)[number];

/** `plugin`, known by `name` to withoutPlugins. */
export function named(name: PluginName, plugin: Plugin): Plugin {
  Object.defineProperty(plugin, NAME, { value: name });
  return plugin;
}

/** `plugins` without those named in `leftOut`: for measuring, never for serving. */
export function withoutPlugins(plugins: Plugin[], leftOut: readonly PluginName[] | undefined): Plugin[] {
  if (!leftOut?.length) return plugins;
  return plugins.filter((plugin) => !leftOut.includes((plugin as { [NAME]?: PluginName })[NAME] as PluginName));
}
