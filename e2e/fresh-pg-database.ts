// Drops and creates the PostgreSQL database the end-to-end servers share, so each run starts from a
// fresh demo book. `tsx e2e/fresh-pg-database.ts <admin url> <database>`.
import pg from 'pg';

const [adminUrl, name] = process.argv.slice(2);
if (!adminUrl || !name || !/^[a-z_][a-z0-9_]*$/.test(name)) {
  console.error('usage: fresh-pg-database.ts <admin url> <database name>');
  process.exit(2);
}
const client = new pg.Client({ connectionString: adminUrl });
await client.connect();
await client.query(`drop database if exists ${name} with (force)`);
await client.query(`create database ${name}`);
await client.end();
