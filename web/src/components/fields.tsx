// Form fields used across screens: a labelled select, the team picker, the file-locale picker.
import { LOCALE_TAGS } from '../../../src/domain/values';
import { useTeams } from '../api/hooks';

export interface Option {
  value: string;
  label: string;
}

/** A labelled select; `anyLabel` adds a first choice with the empty value ("All teams"). */
export function SelectField({
  label,
  value,
  options,
  onChange,
  anyLabel,
  disabled = false,
}: {
  label: string;
  value: string;
  options: readonly Option[];
  onChange: (value: string) => void;
  anyLabel?: string;
  disabled?: boolean;
}) {
  const known =
    anyLabel !== undefined && value === '' ? true : options.some((option) => option.value === value);
  return (
    <label>
      {label}
      <select
        aria-label={label}
        value={value}
        disabled={disabled}
        onChange={(event) => onChange(event.target.value)}
      >
        {anyLabel !== undefined && <option value="">{anyLabel}</option>}
        {!known && <option value={value}>{value || 'Choose…'}</option>}
        {options.map((option) => (
          <option key={option.value} value={option.value}>
            {option.label}
          </option>
        ))}
      </select>
    </label>
  );
}

/** Picks a team by id ('' for all teams when `anyLabel` is given). */
export function TeamSelect({
  value,
  onChange,
  anyLabel,
}: {
  value: string;
  onChange: (value: string) => void;
  anyLabel?: string;
}) {
  const teams = useTeams();
  return (
    <SelectField
      label="Team"
      value={value}
      anyLabel={anyLabel}
      options={(teams.data ?? []).map((team) => ({ value: String(team.id), label: team.name }))}
      onChange={onChange}
    />
  );
}

/** A labelled text input (or a text area with `long`). */
export function TextField({
  label,
  value,
  onChange,
  long = false,
  type = 'text',
  required = false,
  pattern,
  className,
}: {
  label: string;
  value: string;
  onChange: (value: string) => void;
  long?: boolean;
  type?: 'text' | 'url' | 'email';
  required?: boolean;
  pattern?: string;
  className?: string;
}) {
  return (
    <label className={className ?? (long ? 'wide' : undefined)}>
      {label}
      {long ? (
        <textarea
          rows={3}
          required={required}
          value={value}
          onChange={(event) => onChange(event.target.value)}
        />
      ) : (
        <input
          type={type}
          required={required}
          pattern={pattern}
          value={value}
          onChange={(event) => onChange(event.target.value)}
        />
      )}
    </label>
  );
}

const LOCALE_OPTIONS: readonly Option[] = LOCALE_TAGS.map((tag) => ({
  value: tag,
  label: `As written in ${tag}`,
}));

/** How a CSV file writes numbers and dates ('' for the default, described by `anyLabel`). */
export function LocaleSelect(props: {
  label: string;
  value: string;
  onChange: (value: string) => void;
  anyLabel: string;
}) {
  return <SelectField {...props} options={LOCALE_OPTIONS} />;
}
