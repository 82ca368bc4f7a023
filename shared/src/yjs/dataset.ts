import type * as Y from "yjs";

/**
 * A dataset draft's document (`dataset:<version id>`): one top-level Y.Text per item and field, named
 * `item:<item id>:<field>`. Top-level, because a top-level type is its name: two editors who start the
 * same field at the same moment write into one text, where two nested texts under one map key would
 * race and one of them would be dropped. A field the document does not hold yet lives in its
 * dataset_items row (see the dataset_collab migration); the worker copies every field the document
 * holds into the rows (private.store_dataset_doc).
 */
export const DATASET_ITEM_FIELDS = ["query", "context", "expected"] as const;
export type DatasetItemField = (typeof DATASET_ITEM_FIELDS)[number];

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function datasetDocId(versionId: string): string {
  return `dataset:${versionId}`;
}

/** The version a dataset document belongs to, or null for any other document. */
export function datasetDocVersion(docId: string): string | null {
  const [kind, id, rest] = docId.split(":");
  return kind === "dataset" && id !== undefined && rest === undefined && UUID.test(id) ? id : null;
}

export function datasetFieldName(itemId: string, field: DatasetItemField): string {
  return `item:${itemId}:${field}`;
}

export function parseDatasetFieldName(name: string): { itemId: string; field: DatasetItemField } | null {
  const [kind, itemId, field, rest] = name.split(":");
  if (kind !== "item" || rest !== undefined || !itemId || !UUID.test(itemId)) return null;
  return (DATASET_ITEM_FIELDS as readonly string[]).includes(field ?? "") ? { itemId, field: field as DatasetItemField } : null;
}

/** Whether the document holds this field (without creating it, as doc.getText would). */
export function hasDatasetField(doc: Y.Doc, itemId: string, field: DatasetItemField): boolean {
  return doc.share.has(datasetFieldName(itemId, field));
}

/** The text of a field the document holds, or undefined when its row still holds it. */
export function datasetFieldText(doc: Y.Doc, itemId: string, field: DatasetItemField): string | undefined {
  const name = datasetFieldName(itemId, field);
  return doc.share.has(name) ? doc.getText(name).toString() : undefined;
}

export type DatasetDocField = { item: string; field: DatasetItemField; text: string };

/** Every item field the document holds, as the worker copies them into dataset_items. Other names are ignored. */
export function datasetDocFields(doc: Y.Doc): DatasetDocField[] {
  const out: DatasetDocField[] = [];
  for (const name of [...doc.share.keys()].sort()) {
    const parsed = parseDatasetFieldName(name);
    if (!parsed) continue;
    let text: string;
    try {
      text = doc.getText(name).toString();
    } catch {
      continue; // a type of another kind under a field's name (only a hand-made update writes one): not a text
    }
    out.push({ item: parsed.itemId, field: parsed.field, text });
  }
  return out;
}
