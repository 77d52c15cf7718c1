// The `retain` command line: thin commands over the same services as the API.
import { Command } from 'commander';
import { API_VERSION } from '../api/version';
import { backupCommands } from './commands/backup';
import { configCommands } from './commands/config';
import { dataCommands } from './commands/data';
import { modelCommands } from './commands/model';
import { kpiCommands } from './commands/kpis';
import { scoreCommand } from './commands/score';
import { segmentCommands } from './commands/segments';
import { serveCommand } from './commands/serve';
import { userCommands } from './commands/user';
import { reportError } from './run';

const program = new Command()
  .name('retain')
  .description('Retain: find the accounts about to churn, work them to a save, learn why customers leave.')
  .version(API_VERSION);

serveCommand(program);
dataCommands(program);
scoreCommand(program);
modelCommands(program);
segmentCommands(program);
kpiCommands(program);
backupCommands(program);
configCommands(program);
userCommands(program);

program.parseAsync(process.argv).catch(reportError);
