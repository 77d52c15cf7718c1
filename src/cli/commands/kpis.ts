// `retain kpis`: the KPI scorecard in the terminal, for the book or one team.
import type { Command } from 'commander';
import { AppError } from '../../domain/errors';
import { describeTarget, formatKpi, STATUS_TEXT } from '../../domain/kpi';
import { withServices } from '../run';

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
          const target = describeTarget(card.target);
          const change = card.change === null ? '' : `${card.change > 0 ? '+' : ''}${card.change} in 30 days`;
          process.stdout.write(
            `${card.name.padEnd(32)} ${formatKpi(card.format, card.value).padStart(14)}  ${STATUS_TEXT[card.status].padEnd(10)} ${target.padEnd(18)} ${change}\n`,
          );
        }
      });
    });
}
