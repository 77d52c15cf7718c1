// What an entry of a case's audit trail says, in words a CS team reads: stage, reason, rule and
// people's names, money as money, never the stored keys ("licence_drop", "details changed").

export interface AuditNames {
  stage: (key: string) => string;
  reason: (key: string) => string;
  rule: (key: string) => string;
  play: (key: string) => string;
  user: (id: number) => string | undefined;
}

interface Entry {
  action: string;
  actor: string;
  actorId: number | null;
  changes: Record<string, unknown>;
}

const money = new Intl.NumberFormat('en-US', {
  style: 'currency',
  currency: 'USD',
  maximumFractionDigits: 0,
});

const strings = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];

const list = (items: string[]) =>
  items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;

const sentence = (text: string) => (text ? `${text[0]?.toUpperCase() ?? ''}${text.slice(1)}.` : '');

const MATRIX_WORDS: Record<string, [string, string]> = {
  expected: ['Expected', 'Unexpected'],
  avoidable: ['Avoidable', 'Unavoidable'],
};

function detail(field: string, value: unknown): string {
  if (value === null || value === undefined)
    return field in MATRIX_WORDS ? 'not decided' : 'derived from ARR';
  const words = MATRIX_WORDS[field];
  if (words && typeof value === 'boolean') return value ? words[0] : words[1];
  if (typeof value === 'number') return money.format(value);
  if (field === 'track') return value === 'digital' ? 'digital' : 'human';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

const DETAIL_NAMES: Record<string, string> = {
  expected: 'expected',
  avoidable: 'avoidable',
  arrAtRisk: 'ARR at risk',
  ltv: 'LTV',
  track: 'track',
};

/** Who made a change, by name: a person, a play, detection or Retain itself. */
export function actorName(entry: Pick<Entry, 'actor' | 'actorId'>, names: AuditNames): string {
  if (entry.actorId !== null) {
    const name = names.user(entry.actorId);
    if (name) return name;
  }
  if (entry.actor.startsWith('play:')) return `the play “${names.play(entry.actor.slice('play:'.length))}”`;
  if (entry.actor.startsWith('rule:'))
    return `detection (rule “${names.rule(entry.actor.slice('rule:'.length))}”)`;
  if (entry.actor === 'system') return 'Retain';
  return entry.actor;
}

/** One sentence on what changed (empty when the action's name says it all). */
export function auditSummary(entry: Entry, names: AuditNames): string {
  const changes = entry.changes;
  const note = typeof changes.note === 'string' && changes.note ? ` Note: “${changes.note}”` : '';
  switch (entry.action) {
    case 'opened': {
      const reasons = strings(changes.reasons).map(names.reason);
      const stage = typeof changes.stage === 'string' ? names.stage(changes.stage) : null;
      const parts = [
        stage ? `opened at ${stage}` : 'opened',
        reasons.length > 0 ? `for ${list(reasons)}` : '',
        typeof changes.arrAtRisk === 'number' ? `with ${money.format(changes.arrAtRisk)} ARR at risk` : '',
      ];
      return sentence(parts.filter(Boolean).join(' ')) + note;
    }
    case 'risk_detected': {
      const rules = strings(changes.rules).map(names.rule);
      const added = strings(changes.reasonsAdded ?? changes.reasons).map(names.reason);
      const found = rules.length > 0 ? `detection found ${list(rules)}` : 'detection found a risk';
      return sentence(added.length > 0 ? `${found}, adding ${list(added)}` : found);
    }
    case 'stage_changed':
    case 'closed':
    case 'reopen':
    case 'close': {
      const stage = changes.stage as { from?: unknown; to?: unknown } | undefined;
      const from = typeof stage?.from === 'string' ? names.stage(stage.from) : null;
      const to = typeof stage?.to === 'string' ? names.stage(stage.to) : null;
      const moved = to ? (from ? `${from} → ${to}` : `to ${to}`) : '';
      const survey = changes.survey ? ' The separation survey was recorded.' : '';
      return (moved ? `${moved}.` : '') + note + survey;
    }
    case 'reasons_changed': {
      const added = strings(changes.added).map(names.reason);
      const removed = strings(changes.removed).map(names.reason);
      return sentence(
        [added.length ? `added ${list(added)}` : '', removed.length ? `removed ${list(removed)}` : '']
          .filter(Boolean)
          .join('; '),
      );
    }
    case 'details_changed':
      return sentence(
        Object.entries(changes)
          .map(([field, change]) => {
            const { from, to } = (change ?? {}) as { from?: unknown; to?: unknown };
            return `${DETAIL_NAMES[field] ?? field}: ${detail(field, from)} → ${detail(field, to)}`;
          })
          .join('; '),
      );
    case 'owner_changed': {
      const { from, to } = (changes.owner ?? {}) as { from?: unknown; to?: unknown };
      const person = (id: unknown) => (typeof id === 'number' ? (names.user(id) ?? `user ${id}`) : 'nobody');
      return sentence(`owner: ${person(from)} → ${person(to)}`);
    }
    case 'weekly_update':
      return typeof changes.nextSteps === 'string' ? `Next steps: “${changes.nextSteps}”` : '';
    default:
      return '';
  }
}

/** The action as a heading: "Stage changed", "Risk detected". */
export function actionName(action: string): string {
  const words: Record<string, string> = {
    opened: 'Case opened',
    risk_detected: 'Risk detected',
    stage_changed: 'Stage changed',
    closed: 'Case closed',
    close: 'Case closed',
    reopen: 'Case reopened',
    reasons_changed: 'Reasons changed',
    details_changed: 'Matrix and value changed',
    weekly_update: 'Weekly update',
    owner_changed: 'Owner changed',
  };
  return words[action] ?? sentence(action.replace(/_/g, ' ')).slice(0, -1);
}
