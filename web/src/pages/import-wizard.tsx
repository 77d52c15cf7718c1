// The CSV import wizard: pick a file, see how its columns map and fix the mapping, check every row
// (a dry run that writes nothing), then import all or nothing, or only the good rows.
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'react-router';
import { ACCOUNT_TARGETS, CONTACT_TARGETS, SIGNAL_TARGETS } from '../../../src/services/csv-mapping';
import type { SavedMapping } from '../../../src/services/import-mappings';
import type { ImportDetection, ImportReport, SignalImportReport } from '../../../src/services/imports';
import { api, ApiError, query, upload } from '../api/client';
import { useSettings } from '../api/hooks';
import type { Items } from '../api/types';
import { LocaleSelect } from '../components/fields';
import { ActionError } from '../components/states';
import { formatNumber } from '../format';

type Kind = 'accounts' | 'contacts' | 'signals';

const TARGETS: Record<Kind, readonly string[]> = {
  accounts: ACCOUNT_TARGETS,
  contacts: CONTACT_TARGETS,
  signals: SIGNAL_TARGETS,
};
const KIND_HELP: Record<Kind, string> = {
  accounts:
    'A CRM export of accounts: id, name, owner email, tier, ARR, renewal date. Other columns are kept as attributes.',
  contacts: 'People at your accounts: account id, email, name, role, champion.',
  signals:
    'Signals: account, kind, occurred_at, an idempotency key, and one column per data field (score, seats_used…).',
};

type Step =
  | { kind: 'choose' }
  | { kind: 'checked'; report: ImportReport; unmapped?: boolean }
  | { kind: 'done'; report: ImportReport | SignalImportReport };

/** The encodings a file may be in; a file in another than the one chosen is refused with the line. */
const ENCODINGS: readonly (readonly [string, string])[] = [
  ['utf-8', 'UTF-8'],
  ['windows-1252', 'Windows-1252 (Excel on Windows, Latin-1)'],
  ['iso-8859-15', 'ISO-8859-15 (Latin-9)'],
  ['macintosh', 'Mac Roman'],
  ['utf-16le', 'UTF-16 (little-endian)'],
];

export function ImportWizard() {
  const [kind, setKind] = useState<Kind>('accounts');
  const [file, setFile] = useState<File | null>(null);
  const [mapping, setMapping] = useState<Record<string, string>>({});
  const [partial, setPartial] = useState(false);
  const [encoding, setEncoding] = useState('utf-8');
  const [locale, setLocale] = useState('');
  const [savedMapping, setSavedMapping] = useState('');
  const teamLocale = useSettings().data?.importLocale ?? null;
  const saved = useQuery({
    queryKey: ['import-mappings', kind],
    queryFn: () => api<Items<SavedMapping>>(`/import-mappings${query({ kind })}`).then((data) => data.items),
  });
  const [step, setStep] = useState<Step>({ kind: 'choose' });
  const [progress, setProgress] = useState<number | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [failed, setFailed] = useState<ImportReport['errors']>([]);

  const send = async (dryRun: boolean) => {
    if (!file) return;
    setError(null);
    setFailed([]);
    setProgress(0);
    try {
      const params = {
        dryRun: dryRun ? 'true' : undefined,
        partial: partial ? 'true' : undefined,
        map: Object.keys(mapping).length > 0 ? JSON.stringify(mapping) : undefined,
        createAccounts: undefined,
        encoding: encoding === 'utf-8' ? undefined : encoding,
        locale: kind === 'accounts' && locale !== '' ? locale : undefined,
        savedMapping: savedMapping === '' ? undefined : savedMapping,
      };
      const report = await upload<ImportReport | SignalImportReport>(
        `/imports/${kind}${query(params)}`,
        file,
        setProgress,
      );
      setStep(dryRun ? { kind: 'checked', report } : { kind: 'done', report });
    } catch (caught) {
      setError(caught);
      if (caught instanceof ApiError && Array.isArray(caught.details?.errors))
        setFailed(caught.details.errors as ImportReport['errors']);
      // A required field no column maps to: show the columns so one can be pointed at it.
      const headers = caught instanceof ApiError ? caught.details?.columns : undefined;
      if (caught instanceof ApiError && caught.code === 'IMPORT_MAPPING_INVALID' && Array.isArray(headers))
        setStep({ kind: 'checked', report: unmappedReport(headers.map(String), mapping), unmapped: true });
    } finally {
      setProgress(null);
    }
  };

  const reset = () => {
    setStep({ kind: 'choose' });
    setMapping({});
    setError(null);
    setFailed([]);
  };

  return (
    <section className="card import-wizard" aria-labelledby="import-title">
      <h2 id="import-title">Import a CSV file</h2>
      <ol className="wizard-steps" aria-label="Steps">
        <li className={step.kind === 'choose' ? 'current' : undefined}>1. File</li>
        <li className={step.kind === 'checked' ? 'current' : undefined}>2. Columns and check</li>
        <li className={step.kind === 'done' ? 'current' : undefined}>3. Imported</li>
      </ol>

      {step.kind === 'choose' && (
        <form
          className="inline-form"
          onSubmit={(event) => {
            event.preventDefault();
            void send(true);
          }}
        >
          <label>
            What the file holds
            <select
              aria-label="What the file holds"
              value={kind}
              onChange={(event) => {
                setKind(event.target.value as Kind);
                setSavedMapping('');
              }}
            >
              <option value="accounts">Accounts</option>
              <option value="contacts">Contacts</option>
              <option value="signals">Signals</option>
            </select>
          </label>
          {(saved.data?.length ?? 0) > 0 && (
            <label>
              Saved mapping
              <select
                aria-label="Saved mapping"
                value={savedMapping}
                onChange={(event) => setSavedMapping(event.target.value)}
              >
                <option value="">None: recognise the columns</option>
                {saved.data?.map((item) => (
                  <option key={item.id} value={item.name}>
                    {item.name}
                  </option>
                ))}
              </select>
            </label>
          )}
          <label>
            CSV file
            <input
              type="file"
              accept=".csv,text/csv"
              required
              onChange={(event) => setFile(event.target.files?.[0] ?? null)}
            />
          </label>
          <label>
            Encoding
            <select
              aria-label="Encoding"
              value={encoding}
              onChange={(event) => setEncoding(event.target.value)}
            >
              {ENCODINGS.map(([value, label]) => (
                <option key={value} value={value}>
                  {label}
                </option>
              ))}
            </select>
          </label>
          {kind === 'accounts' && (
            <LocaleSelect
              label="Numbers and dates"
              value={locale}
              onChange={setLocale}
              anyLabel={
                teamLocale
                  ? `As Settings say (${teamLocale})`
                  : 'As Settings say: ask me when a value reads two ways'
              }
            />
          )}
          <button type="submit" className="primary" disabled={!file || progress !== null}>
            Check the file
          </button>
          <p className="muted small wide">{KIND_HELP[kind]} Nothing is written until you import.</p>
        </form>
      )}

      {step.kind === 'checked' && (
        <>
          <Summary report={step.report} unmapped={step.unmapped ?? false} />
          <h3>Columns</h3>
          <table className="compact">
            <thead>
              <tr>
                <th scope="col">Column in the file</th>
                <th scope="col">Becomes</th>
              </tr>
            </thead>
            <tbody>
              {step.report.columns.map((column) => {
                const value = mapping[column.header] ?? column.target;
                return (
                  <tr key={column.header}>
                    <th scope="row">{column.header}</th>
                    <td>
                      <select
                        aria-label={`Column ${column.header} becomes`}
                        value={value.startsWith('attribute:') ? 'attribute' : value}
                        onChange={(event) => setMapping({ ...mapping, [column.header]: event.target.value })}
                      >
                        {TARGETS[kind].map((target) => (
                          <option key={target} value={target}>
                            {target}
                          </option>
                        ))}
                        <option value="attribute">
                          {kind === 'signals' ? 'a data field' : 'an attribute'}
                        </option>
                        <option value="ignore">nothing (ignore it)</option>
                      </select>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
          <Lookalikes
            lookalikes={step.report.lookalikes.filter((item) => mapping[item.column] === undefined)}
            onMap={(column, field) => setMapping({ ...mapping, [column]: field })}
          />
          <RowErrors errors={step.report.errors} total={step.report.errorCount} />
          <label className="check">
            <input type="checkbox" checked={partial} onChange={(event) => setPartial(event.target.checked)} />
            Import the good rows and skip the bad ones (otherwise one bad row stops the whole import)
          </label>
          {!step.unmapped && (
            <SaveMapping
              kind={kind}
              columns={Object.fromEntries(
                step.report.columns.map((column) => [column.header, mapping[column.header] ?? column.target]),
              )}
              locale={kind === 'accounts' && locale !== '' ? locale : null}
              encoding={encoding === 'utf-8' ? null : encoding}
              initialName={savedMapping}
            />
          )}
          <div className="actions">
            <button type="button" disabled={progress !== null} onClick={() => void send(true)}>
              Check again with these columns
            </button>
            <button
              type="button"
              className="primary"
              disabled={progress !== null || step.unmapped === true || (step.report.rejected > 0 && !partial)}
              onClick={() => void send(false)}
            >
              Import {formatNumber(step.report.rows - (partial ? step.report.rejected : 0))} rows
            </button>
            <button type="button" onClick={reset}>
              Start over
            </button>
          </div>
        </>
      )}

      {step.kind === 'done' && (
        <>
          <p className="notice" role="status">
            Imported: {formatNumber(step.report.created)} created, {formatNumber(step.report.updated)}{' '}
            updated, {formatNumber(step.report.unchanged)} unchanged, {formatNumber(step.report.rejected)}{' '}
            skipped.
          </p>
          <RowErrors errors={step.report.errors} total={step.report.errorCount} />
          {'detection' in step.report && step.report.detection && (
            <DetectionSummary detection={step.report.detection} />
          )}
          <button type="button" onClick={reset}>
            Import another file
          </button>
        </>
      )}

      {progress !== null && (
        <div className="progress">
          <progress max={1} value={progress} aria-label="Upload" />{' '}
          {progress < 1 ? `Uploading ${Math.round(progress * 100)}%` : 'Checking rows…'}
        </div>
      )}
      <ActionError error={error} />
      {failed.length > 0 && <RowErrors errors={failed} total={failed.length} />}
    </section>
  );
}

/** A report with only the file's columns, for a file whose columns could not be mapped yet. */
function unmappedReport(headers: string[], mapping: Record<string, string>): ImportReport {
  return {
    rows: 0,
    created: 0,
    updated: 0,
    unchanged: 0,
    rejected: 0,
    errorCount: 0,
    errors: [],
    columns: headers.map((header) => ({ header, target: mapping[header] ?? 'attribute' })),
    lookalikes: [],
    dryRun: true,
    footer: [],
  };
}

function Summary({ report, unmapped }: { report: ImportReport; unmapped: boolean }) {
  if (unmapped)
    return (
      <p className="notice warn" role="status">
        Choose which column holds each required field, then check again.
      </p>
    );
  return (
    <p className={report.rejected > 0 ? 'notice warn' : 'notice'} role="status">
      {formatNumber(report.rows)} rows checked: {formatNumber(report.created)} would be created,{' '}
      {formatNumber(report.updated)} updated, {formatNumber(report.unchanged)} unchanged
      {report.rejected > 0 ? `, ${formatNumber(report.rejected)} have errors (below)` : ', no errors'}.
      {report.footer.length > 0
        ? ` The report's footer (line ${report.footer[0]?.line ?? ''}: "${report.footer[0]?.text ?? ''}") is not imported.`
        : ''}{' '}
      Nothing has been written yet.
    </p>
  );
}

/**
 * Saves how this file's columns are read, by name, for the next file like it. A name someone
 * already saved is not overwritten unless the user says so, at the version they were shown.
 */
function SaveMapping(props: {
  kind: Kind;
  columns: Record<string, string>;
  locale: string | null;
  encoding: string | null;
  initialName: string;
}) {
  const client = useQueryClient();
  const [name, setName] = useState(props.initialName);
  const [saving, setSaving] = useState(false);
  const [result, setResult] = useState<{ saved: SavedMapping } | { exists: number } | null>(null);
  const [error, setError] = useState<unknown>(null);
  const save = async (version?: number) => {
    setSaving(true);
    setError(null);
    try {
      const saved = await api<SavedMapping>(
        `/import-mappings/${props.kind}/${encodeURIComponent(name.trim())}`,
        {
          method: 'PUT',
          body: { columns: props.columns, locale: props.locale, encoding: props.encoding, version },
        },
      );
      setResult({ saved });
      void client.invalidateQueries({ queryKey: ['import-mappings'] });
    } catch (caught) {
      const current = caught instanceof ApiError ? caught.details?.currentVersion : undefined;
      if (caught instanceof ApiError && caught.code === 'VERSION_CONFLICT' && typeof current === 'number')
        setResult({ exists: current });
      else setError(caught);
    } finally {
      setSaving(false);
    }
  };
  return (
    <form
      className="inline-form"
      aria-label="Save the mapping"
      onSubmit={(event) => {
        event.preventDefault();
        void save();
      }}
    >
      <label>
        Save these columns as
        <input
          value={name}
          maxLength={100}
          placeholder="e.g. Salesforce accounts report"
          onChange={(event) => {
            setName(event.target.value);
            setResult(null);
          }}
        />
      </label>
      <button type="submit" disabled={saving || name.trim() === ''}>
        Save mapping
      </button>
      {result && 'saved' in result && (
        <p className="muted small wide" role="status">
          Saved "{result.saved.name}". Choose it under Saved mapping next time.
        </p>
      )}
      {result && 'exists' in result && (
        <p className="notice warn wide" role="alert">
          A mapping named "{name.trim()}" exists already (version {result.exists}).{' '}
          <button type="button" disabled={saving} onClick={() => void save(result.exists)}>
            Replace it
          </button>
        </p>
      )}
      <ActionError error={error} />
    </form>
  );
}

/** Columns kept as attributes that look like a field nothing fills: one click maps them. */
function Lookalikes({
  lookalikes,
  onMap,
}: {
  lookalikes: ImportReport['lookalikes'];
  onMap: (column: string, field: string) => void;
}) {
  if (lookalikes.length === 0) return null;
  return (
    <div className="notice warn" role="status" aria-label="Columns to check">
      <p>Check these columns before you import:</p>
      <ul>
        {lookalikes.map((item) => (
          <li key={item.column}>
            {item.message}{' '}
            <button type="button" onClick={() => onMap(item.column, item.field)}>
              Map {item.column} to {item.field}
            </button>
          </li>
        ))}
      </ul>
    </div>
  );
}

function RowErrors({ errors, total }: { errors: ImportReport['errors']; total: number }) {
  if (errors.length === 0) return null;
  return (
    <>
      <h3>
        Rows with errors
        {total > errors.length ? ` (first ${formatNumber(errors.length)} of ${formatNumber(total)})` : ''}
      </h3>
      <div className="table-wrap errors-table">
        <table className="compact">
          <thead>
            <tr>
              <th scope="col" className="num">
                Line
              </th>
              <th scope="col">Column</th>
              <th scope="col">Problem</th>
            </tr>
          </thead>
          <tbody>
            {errors.slice(0, 200).map((error, index) => (
              <tr key={`${error.line}-${index}`}>
                <td className="num">{error.line}</td>
                <td>{error.column ?? '–'}</td>
                <td>{error.message}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}

/** What detection did with the signals just imported, and the cases it opened. */
function DetectionSummary({ detection }: { detection: ImportDetection }) {
  return (
    <section aria-label="What detection did">
      <p>
        Detection scored {formatNumber(detection.scored)} accounts: {formatNumber(detection.casesOpened)} risk{' '}
        {detection.casesOpened === 1 ? 'case' : 'cases'} opened, {formatNumber(detection.casesUpdated)}{' '}
        updated, {formatNumber(detection.recovered)} closed as recovered.
      </p>
      {detection.opened.length > 0 && (
        <ul>
          {detection.opened.map((opened) => (
            <li key={opened.caseId}>
              <Link to={`/accounts/${opened.accountId}`}>{opened.accountName}</Link> ({opened.account}):{' '}
              {opened.reasons.join(', ')}
            </li>
          ))}
        </ul>
      )}
      {detection.casesOpened > detection.opened.length && (
        <p>… and {formatNumber(detection.casesOpened - detection.opened.length)} more in the worklist.</p>
      )}
    </section>
  );
}
