// The demo book's weekly risk updates, written the way a CSM writes them: the background names the
// account, its reasons and what is at stake; what was done so far and the next steps follow the
// reasons and the stage the case is in, name the contact the CSM works with, and change from one
// week to the next.
import type { Faker } from '@faker-js/faker';

export interface UpdateFacts {
  accountName: string;
  /** Reason keys of the case, the first the main one. */
  reasons: readonly string[];
  /** Reason names, in the same order. */
  reasonNames: readonly string[];
  /** Key of the stage the case is in at the time of the update. */
  stage: string;
  /** The contact the CSM works with (the champion when there is one). */
  contact: { name: string; role: string } | null;
  arr: number;
  renewalDate: string | null;
  /** Weeks since the case opened, at the time of the update. */
  week: number;
}

export interface UpdateText {
  background: string;
  doneSoFar: string;
  nextSteps: string;
}

type Template = (facts: UpdateFacts & { who: string; first: string; renewal: string }) => string;

/** What a CSM did, per reason. */
const DONE: Record<string, Template[]> = {
  product_functionality: [
    (f) =>
      `Walked ${f.who} through the roadmap items they asked about; two of the three are planned this half.`,
    (f) => `Collected the missing features from ${f.first}'s team and filed them with product.`,
    (f) => `Showed ${f.who} the workaround for the reporting gap; they will try it with their team.`,
    (f) => `Product joined the call with ${f.first} to explain the integration limits and the timeline.`,
  ],
  leadership_change: [
    (f) => `Met the new decision maker at ${f.accountName}; ${f.first} made the introduction.`,
    (f) => `Mapped who now owns the renewal at ${f.accountName} and updated the contacts.`,
    (f) => `Sent the new sponsor a one-page summary of the results ${f.accountName} has had with us.`,
    (f) => `Asked ${f.who} who else should be in the room now that leadership changed.`,
  ],
  business_change: [
    (f) => `Talked to ${f.who} about the reorganisation; their team keeps the budget for now.`,
    (f) => `Learned that ${f.accountName}'s new parent company reviews all tools next quarter.`,
    (f) => `Shared a consolidation proposal with ${f.first} in case the two teams merge accounts.`,
    (f) => `${f.first} confirmed the layoffs did not touch the teams using the product.`,
  ],
  poor_financial_standing: [
    (f) => `Finance and I called ${f.who} about the open invoice; they asked for a payment plan.`,
    (f) =>
      `Offered ${f.accountName} quarterly billing instead of annual; ${f.first} is checking with finance.`,
    (f) => `Confirmed the overdue invoice reached accounts payable at ${f.accountName}.`,
    (f) => `${f.first} told us cash is tight until their next funding round closes.`,
  ],
  product_adoption: [
    (f) => `Ran a training session for ${f.accountName}'s new users; ${f.first} joined with four others.`,
    (f) => `Sent ${f.who} the adoption report: active users are down against last month.`,
    (f) => `Set up the three workflows ${f.first}'s team uses most, to make daily use easier.`,
    (f) => `Reviewed the unused seats with ${f.who} and agreed who should get invited.`,
  ],
  support_issues: [
    (f) => `Went through the open tickets with support; the sync issue ${f.first} raised has an owner now.`,
    (f) => `Called ${f.who} to apologise for the slow ticket responses and explained the fix.`,
    (f) => `Support escalated ${f.accountName}'s priority ticket; engineering has reproduced it.`,
    (f) => `Set up a weekly ticket review with ${f.first} until the backlog is cleared.`,
  ],
  poor_engagement: [
    (f) => `Reached ${f.who} after three attempts; they have been busy with a launch.`,
    (f) => `Sent ${f.first} a short check-in with usage highlights; no reply yet.`,
    (f) => `Booked a 20-minute call with ${f.who} to restart the regular check-ins.`,
    (f) => `Invited ${f.accountName} to the customer webinar; ${f.first} registered two people.`,
  ],
  poor_nps_csat: [
    (f) => `Called ${f.who} about their survey score; the main complaint is report speed.`,
    (f) => `Read the survey comments from ${f.accountName} and grouped them for product.`,
    (f) => `Thanked ${f.first} for the honest feedback and shared what is being fixed.`,
    (f) => `Followed up with the two detractors at ${f.accountName}; one agreed to a call.`,
  ],
  delayed_onboarding: [
    (f) => `Re-planned the onboarding with ${f.who}; the data import moves to next week.`,
    (f) => `Helped ${f.accountName}'s admin finish the SSO setup that blocked onboarding.`,
    (f) => `Agreed with ${f.first} to drop two optional milestones to get live sooner.`,
    (f) => `Ran the second onboarding workshop; ${f.first}'s team completed the first project.`,
  ],
};

/** Next steps, per stage: finding the cause, carrying out the plan, closing the save. */
const NEXT: Record<string, Template[]> = {
  at_risk: [
    (f) => `Agree with ${f.first} what success looks like before the renewal on ${f.renewal}.`,
    (f) => `Find out who else at ${f.accountName} is affected and how much.`,
    (f) => `Bring ${f.accountName} to the team huddle to agree a save plan.`,
    (f) => `Book a call with ${f.who} to confirm the root cause.`,
    (f) => `Check ${f.accountName}'s usage again on Friday and decide whether to escalate.`,
  ],
  plan_in_place: [
    (f) => `Review the first milestone of the plan with ${f.first} next week.`,
    (f) => `Send ${f.who} the written plan with owners and dates.`,
    (f) => `Track ${f.accountName}'s usage targets for two weeks before the next check-in.`,
    (f) => `Line up an executive sponsor call for ${f.accountName} before ${f.renewal}.`,
    (f) => `Confirm with ${f.first} that the plan still fits their priorities.`,
  ],
  saving: [
    (f) => `Send ${f.accountName} the renewal proposal and walk ${f.first} through it.`,
    (f) => `Get ${f.who} to confirm the renewal in writing.`,
    (f) => `Share the results of the plan with ${f.accountName}'s sponsor.`,
    (f) => `Agree the renewal terms with ${f.first} and loop in finance.`,
    (f) => `One last check of ${f.accountName}'s usage, then close the risk if it holds.`,
  ],
};

/** The week's headline, saying how the case is going. */
const PROGRESS: Template[] = [
  (f) => `Week ${f.week}: ${f.first} is engaged and answering quickly.`,
  (f) => `Week ${f.week}: slow progress, ${f.first} was out part of the week.`,
  (f) => `Week ${f.week}: usage ticked up slightly since the last update.`,
  (f) => `Week ${f.week}: no change in usage yet.`,
  (f) => `Week ${f.week}: the customer's mood is better than last week.`,
  (f) => `Week ${f.week}: still waiting on ${f.accountName} to confirm a date.`,
];

const money = (value: number) => `$${Math.round(value).toLocaleString('en-US')}`;

/** One week's update; differs from `previous` (the case's last update) in what was done. */
export function writeUpdate(faker: Faker, facts: UpdateFacts, previous: UpdateText | null): UpdateText {
  const who = facts.contact ? `${facts.contact.name} (${facts.contact.role})` : 'the main contact';
  const first = facts.contact ? (facts.contact.name.split(' ')[0] ?? facts.contact.name) : 'the customer';
  const renewal = facts.renewalDate ?? 'the renewal';
  const fields = { ...facts, who, first, renewal };
  const pick = (templates: readonly Template[], avoid: string | undefined) => {
    const texts = templates.map((template) => template(fields));
    const fresh = texts.filter((text) => text !== avoid);
    return faker.helpers.arrayElement(fresh.length > 0 ? fresh : texts);
  };
  // Mostly about the main reason, sometimes about one of the others.
  const reason =
    facts.reasons.length > 1 && faker.datatype.boolean(0.35)
      ? faker.helpers.arrayElement(facts.reasons.slice(1))
      : facts.reasons[0];
  const done = DONE[reason ?? ''] ?? DONE.product_adoption ?? [];
  const next = NEXT[facts.stage] ?? NEXT.at_risk ?? [];
  const background =
    `${facts.accountName} (${money(facts.arr)} ARR, renews ${renewal}) is at risk for ` +
    `${facts.reasonNames.join(', ').toLowerCase()}. ${pick(PROGRESS, undefined)}`;
  return {
    background,
    doneSoFar: pick(done, previous?.doneSoFar),
    nextSteps: pick(next, previous?.nextSteps),
  };
}
