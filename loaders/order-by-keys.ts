/**
 * Lines rows up with the keys a DataLoader asked for: one value per key, in key order,
 * `null` for a key that matched no row (absence is an answer for look-ups by id).
 */
export function orderByKeys<K, V>(keys: readonly K[], rows: readonly V[], keyOf: (row: V) => K): (V | null)[] {
  const byKey = new Map<K, V>();
  for (const row of rows) byKey.set(keyOf(row), row);
  return keys.map((key) => byKey.get(key) ?? null);
}
