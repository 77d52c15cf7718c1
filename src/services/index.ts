// Wires the services over one store and one clock.
import type { Store } from '../store/db';
import { AccountService } from './accounts';
import { AuthService } from './auth';
import { BulkCaseService } from './bulk-cases';
import { CaseActions } from './case-actions';
import { ChangeFeed } from './change-feed';
import { ChurnAnalysisService } from './churn-analysis';
import { ChurnModelService } from './churn-model';
import { systemClock, type Clock } from './clock';
import type { ServiceContext } from './context';
import { ConfigTransferService } from './config-transfer';
import { DetectionService } from './detection';
import { DetectionBacktestService } from './detection-backtest';
import { ExportService } from './exports';
import { HealthService } from './health';
import { HuddleService } from './huddles';
import { ImportService } from './imports';
import { ImportMappingService } from './import-mappings';
import { KpiService } from './kpis';
import { mailerFromEnv } from './messaging';
import { NotificationService } from './notifications';
import { PasswordLinkService, type PasswordLinkDelivery } from './password-links';
import { PlaybookService } from './playbooks';
import { ReportService } from './reports';
import { RiskCaseService } from './risk-cases';
import { RiskConfigService } from './risk-config';
import { RiskTrendService } from './risk-trends';
import { SavedSegmentService } from './saved-segments';
import { SegmentService } from './segment';
import { EmailPreferenceService } from './email-preferences';
import { SignalBackfillService } from './signal-backfill';
import { SignalService } from './signals';
import { TaskService } from './tasks';
import { UserService } from './users';
import { WorklistViewService } from './worklist-views';
import { DETECTION_ACTOR } from '../domain/policy';

/**
 * How set-password links go out. By default: e-mail by SMTP_URL (not configured when unset), and
 * links pointing at RETAIN_PUBLIC_URL, else where the admin's request reached Retain.
 */
export type ServiceOptions = Partial<PasswordLinkDelivery>;

/** Scoring and detection over one context: the services' own, or a backfill's with its clock. */
function scoringAndDetection(
  context: ServiceContext,
  config = new RiskConfigService(context),
  riskCases = new RiskCaseService(context, config),
) {
  return {
    health: new HealthService(context),
    detection: new DetectionService(context, config, (caseId, move) =>
      riskCases.moveStage(DETECTION_ACTOR, caseId, move),
    ),
  };
}

export function createServices(store: Store, clock: Clock = systemClock, options: ServiceOptions = {}) {
  const context: ServiceContext = { store, clock };
  const passwordLinks = new PasswordLinkService(context, {
    mailer: options.mailer ?? mailerFromEnv(),
    publicUrl: options.publicUrl !== undefined ? options.publicUrl : process.env.RETAIN_PUBLIC_URL || null,
    ...(options.onDeliveryFailure && { onDeliveryFailure: options.onDeliveryFailure }),
  });
  const config = new RiskConfigService(context);
  const riskCases = new RiskCaseService(context, config);
  const signals = new SignalService(context);
  const { health, detection } = scoringAndDetection(context, config, riskCases);
  // Real time: the accounts a batch touched are re-scored, and their rules evaluated, before the
  // ingest call returns.
  const segments = new SavedSegmentService(context);
  const users = new UserService(context, passwordLinks);
  const kpis = new KpiService(context, config, users);
  const caseActions = new CaseActions(context, riskCases, config);
  const accounts = new AccountService(context);
  const imports = new ImportService(context, signals, config);
  signals.evaluateWith(async (accountIds) => {
    const scoring = await health.score([...accountIds]);
    const run = await detection.evaluate([...accountIds]);
    await segments.refresh({ accountIds: [...accountIds] });
    return { scored: scoring.scored, detection: run };
  });
  return {
    context,
    store,
    clock,
    config,
    accounts,
    users,
    passwordLinks,
    auth: new AuthService(context, config),
    riskCases,
    bulkCases: new BulkCaseService(context, riskCases, accounts, config),
    worklistViews: new WorklistViewService(context),
    imports,
    signalBackfill: new SignalBackfillService(
      context,
      imports,
      (at) => scoringAndDetection({ store, clock: at }),
      segments,
    ),
    importMappings: new ImportMappingService(context),
    signals,
    segment: new SegmentService(context, signals),
    emailPreferences: new EmailPreferenceService(context),
    segments,
    kpis,
    riskTrends: new RiskTrendService(context),
    churnAnalysis: new ChurnAnalysisService(context, config),
    huddles: new HuddleService(context, riskCases, users),
    reports: new ReportService(context, config, users, kpis),
    health,
    churnModel: new ChurnModelService(context, health),
    detection,
    detectionBacktest: new DetectionBacktestService(context, detection, health, config),
    caseActions,
    changes: new ChangeFeed(context),
    playbooks: new PlaybookService(context, config, detection),
    tasks: new TaskService(context, caseActions),
    notifications: new NotificationService(context, config),
    configTransfer: new ConfigTransferService(context, config, health, detection),
    exports: new ExportService(context, riskCases),
  };
}

export type Services = ReturnType<typeof createServices>;
