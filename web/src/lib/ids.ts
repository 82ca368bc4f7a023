const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Whether an id taken from the URL can name a row at all. A mangled link is a page that does not exist,
 * not a request the database rejects with "invalid input syntax for type uuid" shown to the person.
 */
export function isUuid(id: string): boolean {
  return UUID.test(id);
}
