// Saved import mappings: a data engineer saves how a CRM export reads (its columns, locale and
// encoding) once, by name, and every later import of that export names it. Two people saving the
// same name never overwrite each other.
import { expect, it } from 'vitest';
import { apiWorld, errorCode, type ApiWorld } from './helpers';
import { forEachStore } from '../helpers/stores';

const V1 = '/api/v1';
const LEGACY = encodeURIComponent('Legacy CRM');
const FILE = 'Acct,Company,Money,Notes\nL-1,Linden Labs,2.000,call back\nL-2,Larch Logistics,"1.250,50",\n';

async function importWith(w: ApiWorld, query: string, body = FILE) {
  return w.as('ingest', {
    method: 'POST',
    url: `${V1}/imports/accounts?${query}`,
    headers: { 'content-type': 'text/csv' },
    payload: body,
  });
}

forEachStore('saved import mappings', (current) => {
  it('saves a mapping by name and imports a file with it, its locale included', async () => {
    const t = current();
    const w = await apiWorld(t, { cases: false });
    // Admins save mappings; an ingest key may only use them, not read or change them.
    const denied = await w.as('ingest', {
      method: 'PUT',
      url: `${V1}/import-mappings/accounts/${LEGACY}`,
      payload: { columns: { Acct: 'externalId' } },
    });
    expect(denied.statusCode).toBe(403);
    expect((await w.as('ingest', { method: 'GET', url: `${V1}/import-mappings` })).statusCode).toBe(403);
    const saved = await w.as('admin', {
      method: 'PUT',
      url: `${V1}/import-mappings/accounts/${LEGACY}`,
      payload: {
        columns: { Acct: 'externalId', Company: 'name', Money: 'arr', Notes: 'ignore' },
        locale: 'de-de',
      },
    });
    expect(saved.statusCode, saved.body).toBe(201);
    expect(saved.json()).toMatchObject({ kind: 'accounts', name: 'Legacy CRM', locale: 'de-DE', version: 1 });

    // Without the mapping, "2.000" reads two ways and is refused.
    const refused = await importWith(w, 'map=Acct=externalId,Company=name,Money=arr');
    expect(refused.statusCode).toBe(422);

    const imported = await importWith(w, `savedMapping=${LEGACY}`);
    expect(imported.statusCode, imported.body).toBe(200);
    expect(imported.json()).toMatchObject({ created: 2, rejected: 0 });
    expect(await t.services.accounts.getByExternalId('L-1')).toMatchObject({
      name: 'Linden Labs',
      arr: 2000,
      attributes: {},
    });
    expect(await t.services.accounts.getByExternalId('L-2')).toMatchObject({ arr: 1250.5 });

    // What the import itself says wins over the saved mapping, column by column.
    const override = await importWith(w, `savedMapping=${LEGACY}&map=Notes=attribute&dryRun=true`);
    expect(override.json<{ columns: { header: string; target: string }[] }>().columns).toContainEqual({
      header: 'Notes',
      target: 'attribute:Notes',
    });

    // A later export without one of the saved columns still imports with the mapping.
    const fewer = await importWith(
      w,
      `savedMapping=${LEGACY}`,
      'Acct,Company,Money\nL-3,Lime Labs,"3.000"\n',
    );
    expect(fewer.statusCode, fewer.body).toBe(200);
    expect(await t.services.accounts.getByExternalId('L-3')).toMatchObject({ arr: 3000 });

    const listed = await w.as('admin', { method: 'GET', url: `${V1}/import-mappings?kind=accounts` });
    expect(listed.json<{ items: { name: string }[] }>().items.map((item) => item.name)).toEqual([
      'Legacy CRM',
    ]);
    const audit = await t.store.db
      .selectFrom('audit_log')
      .select(['entity_id', 'action', 'actor_label'])
      .where('entity_type', '=', 'import_mapping')
      .execute();
    expect(audit).toEqual([
      { entity_id: 'accounts/Legacy CRM', action: 'created', actor_label: 'token:admin token' },
    ]);
  });

  it('never overwrites a mapping someone else saved: a missing or stale version is a conflict', async () => {
    const w = await apiWorld(current(), { cases: false });
    const put = (payload: Record<string, unknown>) =>
      w.as('admin', { method: 'PUT', url: `${V1}/import-mappings/contacts/HubSpot`, payload });
    const columns = { 'Associated Company IDs': 'accountExternalId', Email: 'email' };
    expect((await put({ columns })).statusCode).toBe(201);
    const blind = await put({ columns: { ...columns, 'Job Title': 'role' } });
    expect(blind.statusCode).toBe(409);
    expect(blind.json()).toMatchObject({
      error: { code: 'VERSION_CONFLICT', details: { currentVersion: 1 } },
    });
    const first = await put({ columns: { ...columns, 'Job Title': 'role' }, version: 1 });
    expect(first.statusCode).toBe(200);
    expect(first.json()).toMatchObject({ version: 2, columns: { 'Job Title': 'role' } });
    const stale = await put({ columns, version: 1 });
    expect(stale.statusCode).toBe(409);
    const kept = await w.as('admin', { method: 'GET', url: `${V1}/import-mappings/contacts/HubSpot` });
    expect(kept.json()).toMatchObject({ version: 2, columns: { 'Job Title': 'role' } });

    const removed = await w.as('admin', { method: 'DELETE', url: `${V1}/import-mappings/contacts/HubSpot` });
    expect(removed.statusCode).toBe(204);
    const gone = await w.as('admin', { method: 'GET', url: `${V1}/import-mappings/contacts/HubSpot` });
    expect(gone.statusCode).toBe(404);
    expect(errorCode(gone)).toBe('IMPORT_MAPPING_NOT_FOUND');
  });

  it('refuses a mapping to a field the import has not, an unknown locale or encoding, and an unknown name', async () => {
    const t = current();
    const w = await apiWorld(t, { cases: false });
    const put = (payload: Record<string, unknown>) =>
      w.as('admin', { method: 'PUT', url: `${V1}/import-mappings/accounts/Bad`, payload });
    const field = await put({ columns: { Seats: 'seats' } });
    expect(field.statusCode).toBe(400);
    expect(errorCode(field)).toBe('IMPORT_MAPPING_INVALID');
    expect(errorCode(await put({ columns: {}, locale: 'xx-XX' }))).toBe('VALIDATION_FAILED');
    expect(errorCode(await put({ columns: {}, encoding: 'klingon' }))).toBe('IMPORT_ENCODING_UNKNOWN');
    expect(errorCode(await put({ columns: { __proto__: 'name' } }))).not.toBe('INTERNAL');

    const blank = await importWith(w, 'savedMapping=%20');
    expect([blank.statusCode, errorCode(blank)]).toEqual([400, 'VALIDATION_FAILED']);
    const unknown = await importWith(w, 'savedMapping=Nobody');
    expect(unknown.statusCode).toBe(404);
    expect(errorCode(unknown)).toBe('IMPORT_MAPPING_NOT_FOUND');
    await expect(t.services.accounts.getByExternalId('L-1')).rejects.toMatchObject({
      code: 'ACCOUNT_NOT_FOUND',
    });

    const csm = await w.as('csmA', { method: 'GET', url: `${V1}/import-mappings` });
    expect(csm.statusCode).toBe(403);
  });
});
