interface Queryable {
  query(sql: string, params?: unknown[]): Promise<unknown>;
}

/**
 * Runs an UPDATE or DELETE ... RETURNING and gives its rows. TypeORM's query() on PostgreSQL resolves those
 * two commands to [rows, rowCount] (every other command to the rows), which is easy to misread.
 */
export async function updateReturning<T>(db: Queryable, sql: string, params: unknown[]): Promise<T[]> {
  const [rows] = (await db.query(sql, params)) as [T[], number];
  return rows;
}
