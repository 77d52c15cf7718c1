// How numbers, money, days and times read in the app.
const money = new Intl.NumberFormat('en-US', {
  style: 'currency',
  currency: 'USD',
  maximumFractionDigits: 0,
});
const compactMoney = new Intl.NumberFormat('en-US', {
  style: 'currency',
  currency: 'USD',
  notation: 'compact',
  maximumFractionDigits: 1,
});
const whole = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const oneDecimal = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1 });
const date = new Intl.DateTimeFormat('en-GB', {
  day: 'numeric',
  month: 'short',
  year: 'numeric',
  timeZone: 'UTC',
});
const dateTime = new Intl.DateTimeFormat('en-GB', {
  day: 'numeric',
  month: 'short',
  year: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
});

export const formatMoney = (value: number) => money.format(value);
export const formatMoneyShort = (value: number) => compactMoney.format(value);
export const formatNumber = (value: number) => whole.format(value);
export const formatDays = (days: number) => `${oneDecimal.format(days)} d`;
export const formatDate = (iso: string) => date.format(new Date(iso));
export const formatDateTime = (iso: string) => dateTime.format(new Date(iso));

/** "today", "3 days ago", "5 weeks ago". */
export function formatAge(iso: string | null, now = Date.now()): string {
  if (!iso) return 'never';
  const days = Math.floor((now - new Date(iso).getTime()) / 86_400_000);
  if (days <= 0) return 'today';
  if (days === 1) return 'yesterday';
  if (days < 14) return `${days} days ago`;
  if (days < 70) return `${Math.floor(days / 7)} weeks ago`;
  return `${Math.floor(days / 30)} months ago`;
}

/** A KPI value in the card's format. */
export function formatKpi(value: number | null, format: string): string {
  if (value === null) return '–';
  switch (format) {
    case 'currency':
      return formatMoneyShort(value);
    case 'percent':
      return `${oneDecimal.format(value)}%`;
    case 'days':
      return formatDays(value);
    default:
      return formatNumber(value);
  }
}

export const QUADRANT_NAMES: Record<string, string> = {
  expected_avoidable: 'Expected, avoidable',
  expected_unavoidable: 'Expected, unavoidable',
  unexpected_avoidable: 'Unexpected, avoidable',
  unexpected_unavoidable: 'Unexpected, unavoidable',
  unplaced: 'Not placed yet',
};

/** Words for an audit action: "stage_changed" -> "stage changed". */
export const humanize = (text: string) => text.replace(/_/g, ' ');

/** A case's priority (0-100) as every screen shows it: a whole number. */
export const formatPriority = (priority: number) => String(Math.round(priority));
