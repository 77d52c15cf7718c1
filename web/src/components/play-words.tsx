// What a play does, in the words of the people who run it: "When an account enters the segment
// Accounts at risk", "Case: move to Saving", with stage, reason, segment and rule names.
import { useQuery } from '@tanstack/react-query';
import { api } from '../api/client';
import { useReasons, useStages } from '../api/hooks';
import type { DetectionRule, Items, Play, PlayStep, Segment } from '../api/types';

type Trigger = Play['definition']['trigger'];

const TO_WHOM: Record<string, string> = {
  contacts: 'the contacts',
  champion: 'the champion',
  owner: 'the account owner',
};

export function usePlayWords() {
  const stages = useStages();
  const reasons = useReasons();
  const segments = useQuery({ queryKey: ['segments'], queryFn: () => api<Items<Segment>>('/segments') });
  const rules = useQuery({
    queryKey: ['detection-rules'],
    queryFn: () => api<Items<DetectionRule>>('/detection/rules'),
  });
  const named = (items: readonly { key: string; name: string }[] | undefined) => (key: string) =>
    items?.find((item) => item.key === key)?.name ?? key.replace(/_/g, ' ');
  const stage = named(stages.data);
  const reason = named(reasons.data);
  const segment = named(segments.data?.items);
  const rule = named(rules.data?.items);

  const trigger = (t: Trigger): string => {
    switch (t.kind) {
      case 'case_opened': {
        const why = t.reasons?.length ? ` for ${t.reasons.map(reason).join(' or ')}` : '';
        const by = t.source === 'rule' ? ' by detection' : t.source === 'manual' ? ' by hand' : '';
        return `A risk case is opened${by}${why}`;
      }
      case 'reason_added':
        return `The reason ${reason(t.reason)} is added to a case`;
      case 'stage_changed':
        return `A case moves to ${stage(t.to)}`;
      case 'segment_entered':
        return `An account enters the segment ${segment(t.segment)}`;
      case 'segment_left':
        return `An account leaves the segment ${segment(t.segment)}`;
      case 'signal_rule_fired':
        return `The detection rule ${rule(t.rule)} fires`;
      case 'touchpoint_logged':
        return `A touchpoint is logged with the reason ${t.reason}`;
      case 'schedule':
        return t.everyDays === 7
          ? 'Every week'
          : t.everyDays === 1
            ? 'Every day'
            : `Every ${t.everyDays} days`;
      default:
        return 'On an event';
    }
  };

  const step = (s: PlayStep): string => {
    switch (s.kind) {
      case 'task':
        return `Task: ${s.title} (due in ${s.dueInDays} days)`;
      case 'wait':
        return `Wait ${s.days} days`;
      case 'wait_until':
        return `Wait until ${s.condition} (up to ${s.timeoutDays} days)`;
      case 'email':
        return `Email to ${TO_WHOM[s.to] ?? s.to}: ${s.subject}`;
      case 'webhook':
        return `Webhook: ${s.text.slice(0, 60)}`;
      case 'action': {
        const action = s.action;
        switch (action.kind) {
          case 'set_stage':
            return `Case: move to ${stage(action.stage)}`;
          case 'add_reason':
            return `Case: add the reason ${reason(action.reason)}`;
          case 'remove_reason':
            return `Case: remove the reason ${reason(action.reason)}`;
          case 'close':
            return `Case: close as ${action.outcome === 'lost' ? 'lost' : 'recovered'}`;
        }
      }
    }
  };

  return { trigger, step };
}
