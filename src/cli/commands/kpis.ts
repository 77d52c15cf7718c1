// `retain kpis`: the KPI scorecard in the terminal, for the book or one team.
import type { Command } from 'commander';
import { AppError } from '../../domain/errors';
import type { KpiValue } from '../../services/kpis';
import { withServices } from '../run';

export function formatKpiValue(card: Pick<KpiValue, 'format' | 'value'>): string {
  if (card.value === null) return '-';
  switch (card.format) {
    case 'currency':
      return card.value.toLocaleString('en-US', { maximumFractionDigits: 0 });
    case 'percent':
      return `${card.value}%`;
    case 'days':
      return `${card.value} days`;
    case 'number':
    case 'trend':
      return String(card.value);
  }
}

const STATUS: Record<KpiValue['status'], string> = {
  on_target: 'on target',
  off_target: 'OFF TARGET',
  no_target: '',
  no_data: 'no data',
};

export function kpiCommands(program: Command): void {
  program
    .command('kpis')
    .description('the KPI scorecard: each card now, against its target, and its change over 30 days')
    .option('--team <name>', 'one team instead of the whole book')
    .option('--db <target>', 'SQLite file path or postgres:// URL')
    .action(async (options: { db?: string; team?: string }) => {
      await withServices(options, async (services) => {
        let teamId: number | null = null;
        if (options.team) {
          const team = (await services.users.listTeams()).find(
            (t) => t.name.toLowerCase() === options.team?.toLowerCase(),
          );
          if (!team)
            throw new AppError('TEAM_NOT_FOUND', `No team named "${options.team}".`, { team: options.team });
          teamId = team.id;
        }
        for (const card of await services.kpis.scorecard({ teamId })) {
          const target = card.target
            ? `${card.target.comparison.replace('_', ' ')} ${card.target.value}`
            : '';
          const change = card.change === null ? '' : `${card.change > 0 ? '+' : ''}${card.change} in 30 days`;
          process.stdout.write(
            `${card.name.padEnd(32)} ${formatKpiValue(card).padStart(14)}  ${STATUS[card.status].padEnd(10)} ${target.padEnd(18)} ${change}\n`,
          );
        }
      });
    });
}
