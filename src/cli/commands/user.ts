// `retain user create|list` and `retain team create`: bootstrap and manage users from the shell.
// A user is created with a password (given or generated), or with --invite by a set-password link.
import { randomBytes } from 'node:crypto';
import type { Command } from 'commander';
import { AppError } from '../../domain/errors';
import { ROLES, SYSTEM_ACTOR, type Actor, type Role } from '../../domain/policy';
import { withServices } from '../run';

const CLI_ACTOR: Actor = { ...SYSTEM_ACTOR, label: 'cli' };

export function userCommands(program: Command): void {
  const user = program.command('user').description('manage users');
  user
    .command('create')
    .description('create a user; prints a generated password unless --password is given')
    .requiredOption('--email <email>', 'login email')
    .option('--name <name>', 'display name')
    .option('--role <role>', `one of ${ROLES.join(', ')}`, 'csm')
    .option('--team <name>', 'team name (created if missing)')
    .option('--password <password>', 'initial password (at least 10 characters)')
    .option(
      '--invite',
      'no password: print a set-password link for the user (e-mailed too when SMTP_URL is set; links point at RETAIN_PUBLIC_URL)',
    )
    .option('--db <target>', 'SQLite file path or postgres:// URL')
    .action(
      async (options: {
        email: string;
        name?: string;
        role: string;
        team?: string;
        password?: string;
        invite?: boolean;
        db?: string;
      }) => {
        if (options.invite && options.password !== undefined) {
          throw new AppError('VALIDATION_FAILED', 'Give --password or --invite, not both.', {
            field: 'invite',
          });
        }
        if (!ROLES.includes(options.role as Role)) {
          throw new AppError('VALIDATION_FAILED', `--role must be one of ${ROLES.join(', ')}.`, {
            field: 'role',
          });
        }
        await withServices({ ...options, createStore: true }, async (services) => {
          let teamId: number | null = null;
          if (options.team) {
            const teams = await services.users.listTeams();
            teamId =
              teams.find((team) => team.name === options.team)?.id ??
              (await services.users.createTeam(CLI_ACTOR, options.team)).id;
          }
          const password = options.invite
            ? undefined
            : (options.password ?? randomBytes(12).toString('base64url'));
          const created = await services.users.create(CLI_ACTOR, {
            email: options.email,
            name: options.name ?? options.email.split('@')[0] ?? options.email,
            role: options.role as Role,
            teamId,
            ...(password !== undefined && { password }),
          });
          process.stdout.write(`Created ${created.role} ${created.email} (id ${created.id}).\n`);
          const invitation = created.invitation;
          if (invitation) {
            if (invitation.emailed) process.stdout.write(`Invitation e-mailed to ${created.email}.\n`);
            process.stdout.write(
              `Invitation link (works once, until ${invitation.expiresAt}):\n${invitation.url}\n`,
            );
          } else if (!options.password) process.stdout.write(`Password: ${password}\n`);
        });
      },
    );

  user
    .command('list')
    .description('list users')
    .option('--db <target>', 'SQLite file path or postgres:// URL')
    .action(async (options: { db?: string }) => {
      await withServices(options, async (services) => {
        const teams = new Map((await services.users.listTeams()).map((team) => [team.id, team.name]));
        const rows = (await services.users.listUsers()).map((entry) => [
          entry.email,
          entry.role,
          entry.teamId === null ? '-' : (teams.get(entry.teamId) ?? '-'),
          entry.active ? entry.name : `${entry.name} (inactive)`,
        ]);
        const widths = [0, 1, 2].map((column) => Math.max(...rows.map((row) => row[column]?.length ?? 0)));
        for (const row of rows) {
          const cells = row.map((cell, column) => cell.padEnd(widths[column] ?? 0));
          process.stdout.write(`${cells.join('  ').trimEnd()}\n`);
        }
      });
    });
}
