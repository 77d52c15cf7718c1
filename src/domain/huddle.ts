// Team huddles: each CSM's top five open risks, and what changed on each since the last huddle,
// in words a team lead reads out.

export const HUDDLE_CASES_PER_CSM = 5;
export const DEFAULT_HUDDLE_INTERVAL_DAYS = 14;

/** An entry of a case's audit trail, as much of it as a huddle line needs. */
export interface CaseChange {
  at: string;
  actor: string;
  action: string;
  changes: Record<string, unknown>;
}

const list = (value: unknown) => (Array.isArray(value) ? value.map(String).join(', ') : '');

/** One audit entry of a case as a line of the huddle ("Stage at_risk → plan_in_place (lead.a)"). */
export function describeChange(entry: CaseChange): string {
  const by = entry.actor ? ` by ${entry.actor}` : '';
  const on = entry.at.slice(0, 10);
  const changes = entry.changes;
  switch (entry.action) {
    case 'opened':
      return `${on}: case opened${by}`;
    case 'risk_detected':
      return `${on}: risk detected by ${list(changes.rules) || 'a rule'}${list(changes.reasonsAdded) ? `, reasons +${list(changes.reasonsAdded)}` : ''}`;
    case 'stage_changed':
    case 'close':
    case 'closed':
    case 'reopen': {
      const stage = changes.stage as { from?: string; to?: string } | undefined;
      return `${on}: stage ${stage?.from ?? '?'} → ${stage?.to ?? '?'}${by}`;
    }
    case 'reasons_changed': {
      const added = list(changes.added);
      const removed = list(changes.removed);
      return `${on}: reasons${added ? ` +${added}` : ''}${removed ? ` -${removed}` : ''}${by}`;
    }
    case 'weekly_update':
      return `${on}: weekly update${by}`;
    case 'details_changed':
      return `${on}: details changed (${Object.keys(changes).join(', ')})${by}`;
    default:
      return `${on}: ${entry.action.replace(/_/g, ' ')}${by}`;
  }
}
