// The `retain` command line: thin commands over the same services as the API.
import { Command } from 'commander';
import { API_VERSION } from '../api/version';
import { backupCommands } from './commands/backup';
import { configCommands } from './commands/config';
import { dataCommands } from './commands/data';
import { detectionCommands } from './commands/detection';
import { modelCommands } from './commands/model';
import { openapiCommand } from './commands/openapi';
import { kpiCommands } from './commands/kpis';
import { playCommands } from './commands/plays';
import { reportCommands } from './commands/report';
import { scoreCommand } from './commands/score';
import { segmentCommands } from './commands/segments';
import { serveCommand } from './commands/serve';
import { userCommands } from './commands/user';
import { reportError } from './run';

// Output piped into a pager or `head` that closes early is not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

const program = new Command()
  .name('retain')
  .description('Retain: find the accounts about to churn, work them to a save, learn why customers leave.')
  .version(API_VERSION);

serveCommand(program);
dataCommands(program);
scoreCommand(program);
detectionCommands(program);
modelCommands(program);
openapiCommand(program);
segmentCommands(program);
kpiCommands(program);
playCommands(program);
reportCommands(program);
backupCommands(program);
configCommands(program);
userCommands(program);

program.parseAsync(process.argv).catch(reportError);
