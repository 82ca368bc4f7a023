export { SupabaseYjsProvider, DEFAULT_SEND_WINDOW_MS, type SupabaseYjsProviderOptions, type ProviderStatus, type SupabaseLike, type RealtimeChannelLike } from "./provider.ts";
export {
  rpcPersistence, compactDoc, compactLoaded, docFromLoaded, tailOf, tailExceeds, docTextField, mergeLoaded, parseLoadRows,
  DEFAULT_COMPACTION_BOUNDS, DOC_TEXT_FIELDS, type CompactionBounds, type DocPersistence, type LoadedDoc, type RpcClient,
} from "./persistence.ts";
export { localStorageUnsent, type UnsentStore } from "./unsent.ts";
export { Throttle } from "./throttle.ts";
export { WIRE_VERSION } from "./wire.ts";
export {
  DATASET_ITEM_FIELDS, datasetDocId, datasetDocVersion, datasetFieldName, parseDatasetFieldName, hasDatasetField, datasetFieldText, datasetDocFields,
  type DatasetItemField, type DatasetDocField,
} from "./dataset.ts";
