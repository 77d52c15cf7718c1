import { expect, it } from 'vitest';
import { DEFAULT_RULES } from '../../src/domain/detection';
import { SYSTEM_ACTOR } from '../../src/domain/policy';
import type { ConfigDocument } from '../../src/services/config-transfer';
import { buildTinyBook } from '../helpers/book';
import { createTestStore, forEachStore } from '../helpers/stores';

const withoutStamp = ({ exportedAt: _exportedAt, ...rest }: ConfigDocument) => rest;

forEachStore('configuration export and import', (current) => {
  it('moves stages, reasons, settings, scorecard and rules to another store, and back unchanged', async () => {
    const t = current();
    const admin = SYSTEM_ACTOR;
    await t.services.config.createStage(admin, {
      key: 'escalated',
      name: 'Escalated',
      position: 3,
      isEnd: false,
      outcome: null,
      active: true,
    });
    await t.services.config.createReason(admin, {
      key: 'pricing',
      name: 'Pricing',
      description: 'Too expensive',
      position: 10,
      active: true,
    });
    await t.services.config.updateSettings(admin, { updateOverdueDays: 10, detectionQuietDays: 45 });
    const scorecard = await t.services.health.scorecard();
    await t.services.health.updateScorecard(admin, {
      ...scorecard,
      bands: [
        { name: 'Red', min: 0 },
        { name: 'Green', min: 60 },
      ],
    });
    await t.services.detection.updateRules(admin, [
      ...DEFAULT_RULES.slice(0, 4),
      { ...DEFAULT_RULES[5], reason: 'pricing' },
    ]);
    const exported = await t.services.configTransfer.export();

    const other = await createTestStore(t.kind);
    try {
      const applied = await other.services.configTransfer.import(admin, JSON.parse(JSON.stringify(exported)));
      expect(applied).toEqual({ stages: 6, reasons: 10, rules: 5 });
      expect(withoutStamp(await other.services.configTransfer.export())).toEqual(withoutStamp(exported));
      expect((await other.services.config.settings()).detectionQuietDays).toBe(45);
      // Importing the same document again changes nothing.
      await other.services.configTransfer.import(admin, exported);
      expect(withoutStamp(await other.services.configTransfer.export())).toEqual(withoutStamp(exported));
    } finally {
      await other.destroy();
    }
  });

  it('rejects a bad document whole, naming the field, and changes nothing', async () => {
    const t = current();
    const book = await buildTinyBook(t);
    const before = await t.services.configTransfer.export();
    const edit = (change: (doc: ConfigDocument) => void): ConfigDocument => {
      const doc = JSON.parse(JSON.stringify(before)) as ConfigDocument;
      change(doc);
      return doc;
    };
    await expect(
      t.services.configTransfer.import(
        SYSTEM_ACTOR,
        edit((doc) => {
          doc.reasons.push({
            key: 'brand_new',
            name: 'Brand new',
            description: null,
            position: 20,
            active: true,
          });
          const rule = doc.detectionRules[0];
          if (rule) rule.reason = 'nobody_knows';
        }),
      ),
    ).rejects.toMatchObject({
      code: 'RISK_REASON_NOT_FOUND',
      message: 'detectionRules.0.reason: no risk reason "nobody_knows".',
    });
    await expect(
      t.services.configTransfer.import(
        SYSTEM_ACTOR,
        edit((doc) => {
          const saving = doc.stages.find((stage) => stage.key === 'saving');
          if (saving) Object.assign(saving, { isEnd: true, outcome: 'recovered' });
        }),
      ),
    ).rejects.toMatchObject({ code: 'RISK_STAGE_IN_USE' });
    await expect(
      t.services.configTransfer.import(
        SYSTEM_ACTOR,
        edit((doc) => Object.assign(doc.settings, { updateOverdueDays: 0 })),
      ),
    ).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      message: expect.stringMatching(/^settings\.updateOverdueDays: /) as unknown,
    });
    await expect(t.services.configTransfer.import(book.actors.leadA, before)).rejects.toMatchObject({
      code: 'FORBIDDEN',
    });
    expect(withoutStamp(await t.services.configTransfer.export())).toEqual(withoutStamp(before));
  });
});

forEachStore('configuration documents from earlier versions', (current) => {
  it('a document exported before the outbound allowlist existed imports, with no internal host open', async () => {
    const t = current();
    const exported = await t.services.configTransfer.export();
    const { outboundAllowlist: _omitted, ...olderSettings } = exported.settings;
    const older = { ...exported, settings: olderSettings } as unknown as ConfigDocument;
    await t.services.configTransfer.import(SYSTEM_ACTOR, older);
    expect((await t.services.config.settings()).outboundAllowlist).toEqual([]);
  });
});
