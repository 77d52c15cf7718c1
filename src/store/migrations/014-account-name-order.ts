// The account list's default order is name, then id. An index on name alone left PostgreSQL to
// sort each run of equal names, reading one row past the page to see the run end; during a large
// import that one row meant walking every uncommitted entry of the import in the index. An index
// in the list's own order ends the scan on the page's last row.
import type { Db } from './helpers';

export async function up(db: Db): Promise<void> {
  await db.schema.dropIndex('accounts_name').execute();
  await db.schema.createIndex('accounts_name').on('accounts').columns(['name', 'id']).execute();
}

export async function down(db: Db): Promise<void> {
  await db.schema.dropIndex('accounts_name').execute();
  await db.schema.createIndex('accounts_name').on('accounts').column('name').execute();
}
