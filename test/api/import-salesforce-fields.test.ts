// A Salesforce export names its custom fields with `__c`: `ARR__c` and `Renewal_Date__c` are the
// ARR and the renewal date, read as such, so a bad value in them is an error on its line and
// column, never an attribute kept as text with "no errors".
import { expect, it } from 'vitest';
import { apiWorld } from './helpers';
import { forEachStore } from '../helpers/stores';

const FILE =
  'Account_ID__c,Account Name,ARR__c,Renewal_Date__c,Region__c\n' +
  'SF-1,Sequoia Systems,12500,2027-01-31,EMEA\n' +
  'SF-2,Spruce Retail,TBD,31/02/2027,NA\n';

forEachStore('Salesforce custom fields', (current) => {
  it('maps ARR__c and Renewal_Date__c to their fields and refuses what they cannot hold', async () => {
    const w = await apiWorld(current(), { cases: false });
    const response = await w.as('ingest', {
      method: 'POST',
      url: '/api/v1/imports/accounts?dryRun=true&partial=true',
      headers: { 'content-type': 'text/csv' },
      payload: FILE,
    });
    expect(response.statusCode).toBe(200);
    const report = response.json<{
      columns: { header: string; target: string }[];
      errors: { line: number; column: string | null; message: string }[];
      rejected: number;
    }>();
    expect(report.columns).toEqual(
      expect.arrayContaining([
        { header: 'ARR__c', target: 'arr' },
        { header: 'Renewal_Date__c', target: 'renewalDate' },
        { header: 'Region__c', target: 'attribute:Region__c' },
      ]),
    );
    expect(report.rejected).toBe(1);
    expect(report.errors.map(({ line, column }) => ({ line, column }))).toEqual([
      { line: 3, column: 'ARR__c' },
      { line: 3, column: 'Renewal_Date__c' },
    ]);
    expect(report.errors[1]?.message).toMatch(/31\/02\/2027/);
  });
});
