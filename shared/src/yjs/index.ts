export { SupabaseYjsProvider, type SupabaseYjsProviderOptions, type ProviderStatus, type SupabaseLike, type RealtimeChannelLike } from "./provider.ts";
export { rpcPersistence, compactDoc, mergeLoaded, parseLoadRows, type DocPersistence, type LoadedDoc, type RpcClient } from "./persistence.ts";
