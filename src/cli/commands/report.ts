// `retain report monthly` and `retain huddle`: the team lead's monthly risk report (Markdown, HTML,
// CSV tables) and the huddle list.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { AppError } from '../../domain/errors';
import { reportMarkdown } from '../../domain/monthly-report';
import type { Services } from '../../services';
import { renderHtml, REPORT_TABLES, reportCsv } from '../../services/reports';
import { withServices } from '../run';

async function teamByName(services: Services, name: string): Promise<{ id: number; name: string }> {
  const team = (await services.users.listTeams()).find((t) => t.name.toLowerCase() === name.toLowerCase());
  if (!team) throw new AppError('TEAM_NOT_FOUND', `No team named "${name}".`, { team: name });
  return team;
}

const slug = (text: string) =>
  text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');

export function reportCommands(program: Command): void {
  const report = program.command('report').description('reports for team leads');
  report
    .command('monthly')
    .requiredOption('--team <name>', 'the team')
    .requiredOption('--month <YYYY-MM>', 'the month')
    .option(
      '--out <dir>',
      'write Markdown, HTML and CSV tables into this folder instead of printing Markdown',
    )
    .description('the monthly risk report: new, saved and lost cases, reasons, matrix, stale updates, KPIs')
    .option('--db <target>', 'SQLite file path or postgres:// URL')
    .action(async (options: { db?: string; team: string; month: string; out?: string }) => {
      await withServices(options, async (services) => {
        const team = await teamByName(services, options.team);
        const data = await services.reports.monthly(team.id, options.month);
        if (!options.out) {
          process.stdout.write(reportMarkdown(data));
          return;
        }
        mkdirSync(options.out, { recursive: true });
        const base = join(options.out, `risk-report-${slug(team.name)}-${options.month}`);
        const written = [`${base}.md`, `${base}.html`];
        writeFileSync(`${base}.md`, reportMarkdown(data));
        writeFileSync(`${base}.html`, renderHtml(data));
        for (const table of REPORT_TABLES) {
          writeFileSync(`${base}-${table}.csv`, reportCsv(data, table));
          written.push(`${base}-${table}.csv`);
        }
        process.stdout.write(`Wrote ${written.join(', ')}\n`);
      });
    });

  program
    .command('huddle')
    .requiredOption('--team <name>', 'the team')
    .option('--held', 'record that the huddle was held now (the next one shows changes from here)')
    .description("each CSM's top five risks, their last weekly update and what changed since the last huddle")
    .option('--db <target>', 'SQLite file path or postgres:// URL')
    .action(async (options: { db?: string; team: string; held?: boolean }) => {
      await withServices(options, async (services) => {
        const team = await teamByName(services, options.team);
        const huddle = await services.huddles.huddle(team.id);
        process.stdout.write(`Huddle of ${huddle.teamName}: changes since ${huddle.since.slice(0, 10)}\n`);
        for (const csm of huddle.csms) {
          process.stdout.write(
            `\n${csm.name} <${csm.email}>: ${csm.openCases} open case${csm.openCases === 1 ? '' : 's'}\n`,
          );
          for (const entry of csm.cases) {
            const c = entry.case;
            process.stdout.write(
              `  ${entry.isNew ? 'NEW ' : ''}${c.account.name} (${c.account.externalId}): ${c.stage.name}, ` +
                `${c.timeInStageDays} days in stage, ARR at risk ${c.arrAtRisk.toLocaleString('en-US')}\n`,
            );
            if (entry.lastUpdate)
              process.stdout.write(
                `    last update ${entry.lastUpdate.at.slice(0, 10)}: ${entry.lastUpdate.nextSteps.slice(0, 120)}\n`,
              );
            else process.stdout.write('    no weekly update yet\n');
            for (const change of entry.changes) process.stdout.write(`    ${change}\n`);
          }
        }
        if (options.held) {
          const held = await services.huddles.markHeld(
            { userId: null, role: 'admin', teamId: null, label: 'cli' },
            team.id,
          );
          process.stdout.write(`\nRecorded the huddle as held at ${held.heldAt}.\n`);
        }
      });
    });
}
