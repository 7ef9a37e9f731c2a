/**
 * The rows of a raw query through TypeORM: it answers UPDATE/DELETE ... RETURNING as
 * `[rows, affected]`, INSERT and SELECT as the rows.
 */
export function returned<T>(result: unknown): T[] {
  if (Array.isArray(result) && result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number') return result[0] as T[];
  return result as T[];
}
