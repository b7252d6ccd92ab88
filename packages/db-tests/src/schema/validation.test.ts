import {
  calendarRangeSchema,
  createSessionDataBaseSchema,
  createSessionDataSchema,
  machineInsertSchema,
  sessionFiltersSchema,
  trainingSessionInsertBaseSchema,
  trainingSessionInsertSchema,
  trainingSessionUpdateSchema,
} from '@gym/db';
import { describe, expect, it } from 'vitest';

const machineId = '2b0f3c1e-8d7a-4c39-9a51-0f1e2d3c4b5a';

describe('drizzle-zod insert schemas', () => {
  it('accept a session without a trainer and reject one whose end is not after its start', () => {
    const start = new Date('2026-12-01T09:00:00Z');
    expect(
      trainingSessionInsertSchema.safeParse({
        machineId,
        scheduledStart: start,
        scheduledEnd: new Date('2026-12-01T09:30:00Z'),
      }).success,
    ).toBe(true);
    for (const end of [start, new Date('2026-12-01T08:00:00Z')]) {
      const r = trainingSessionInsertSchema.safeParse({ machineId, scheduledStart: start, scheduledEnd: end });
      expect(r.success).toBe(false);
      expect(r.error!.issues[0]!.path).toEqual(['scheduledEnd']);
    }
  });

  it('require machineId, and know nothing of maxParticipants or location', () => {
    const start = new Date('2026-12-01T09:00:00Z');
    const end = new Date('2026-12-01T10:00:00Z');
    expect(trainingSessionInsertSchema.safeParse({ scheduledStart: start, scheduledEnd: end }).success).toBe(false);
    const parsed = trainingSessionInsertSchema.parse({
      machineId,
      scheduledStart: start,
      scheduledEnd: end,
      maxParticipants: 4,
      location: 'A',
    });
    expect(parsed).not.toHaveProperty('maxParticipants');
    expect(parsed).not.toHaveProperty('location');
  });

  it('hold current participants to 0 or 1', () => {
    const base = {
      machineId,
      scheduledStart: new Date('2026-12-01T09:00:00Z'),
      scheduledEnd: new Date('2026-12-01T10:00:00Z'),
    };
    expect(trainingSessionInsertSchema.safeParse({ ...base, currentParticipants: 1 }).success).toBe(true);
    expect(trainingSessionInsertSchema.safeParse({ ...base, currentParticipants: 2 }).success).toBe(false);
  });

  it('accept machine numbers 1 to 3 only', () => {
    expect(machineInsertSchema.safeParse({ machineNumber: 3, name: 'Machine 3' }).success).toBe(true);
    expect(machineInsertSchema.safeParse({ machineNumber: 4, name: 'Machine 4' }).success).toBe(false);
    // The rule is a column rule, so it survives composition.
    expect(machineInsertSchema.pick({ machineNumber: true }).safeParse({ machineNumber: 0 }).success).toBe(false);
  });

  it('CreateSessionData takes one member, an optional trainer, and an end after the start', () => {
    const ok = {
      machineId,
      memberId: machineId,
      scheduledStart: new Date('2026-12-01T09:00:00Z'),
      scheduledEnd: new Date('2026-12-01T10:00:00Z'),
    };
    expect(createSessionDataSchema.safeParse(ok).success).toBe(true);
    expect(createSessionDataSchema.safeParse({ ...ok, trainerId: null }).success).toBe(true);
    expect(createSessionDataSchema.safeParse({ ...ok, scheduledEnd: ok.scheduledStart }).success).toBe(false);
    expect(createSessionDataSchema.safeParse({ ...ok, memberId: undefined }).success).toBe(false);
    expect(createSessionDataSchema.safeParse({ ...ok, memberId: [machineId, machineId] }).success).toBe(false);
  });
});

describe('composition: plain bases, refinements in the named schemas built from them', () => {
  it('the bases support .pick, .omit, .partial and .extend', () => {
    const picked = trainingSessionInsertBaseSchema.pick({ machineId: true, scheduledStart: true });
    expect(picked.parse({ machineId, scheduledStart: '2026-12-01T09:00:00Z', notes: 'x' })).toEqual({
      machineId,
      scheduledStart: new Date('2026-12-01T09:00:00Z'),
    });
    const omitted = trainingSessionInsertBaseSchema.omit({ machineId: true });
    expect(omitted.safeParse({ scheduledStart: new Date(), scheduledEnd: new Date() }).success).toBe(true);
    expect(trainingSessionInsertBaseSchema.partial().parse({})).toEqual({});
    expect(
      createSessionDataBaseSchema.extend({ coupon: createSessionDataBaseSchema.shape.notes }).shape,
    ).toHaveProperty('coupon');
  });

  it('the update schema is partial, keeps the column rules and checks the range when both ends are given', () => {
    expect(trainingSessionUpdateSchema.parse({ notes: 'bring water' })).toEqual({ notes: 'bring water' });
    expect(trainingSessionUpdateSchema.parse({ scheduledEnd: '2026-12-01T10:00:00Z' })).toEqual({
      scheduledEnd: new Date('2026-12-01T10:00:00Z'),
    });
    expect(trainingSessionUpdateSchema.safeParse({ currentParticipants: 2 }).success).toBe(false);
    expect(trainingSessionUpdateSchema.safeParse({ machineId: 'not-a-uuid' }).success).toBe(false);
    const backwards = trainingSessionUpdateSchema.safeParse({
      scheduledStart: '2026-12-01T10:00:00Z',
      scheduledEnd: '2026-12-01T09:00:00Z',
    });
    expect(backwards.error?.issues.map((i) => i.path)).toEqual([['scheduledEnd']]);
    expect(trainingSessionUpdateSchema.parse({ id: machineId, createdAt: new Date() })).toEqual({});
  });
});

describe('inputs from JSON', () => {
  const json = JSON.parse(
    JSON.stringify({
      machineId,
      memberId: machineId,
      scheduledStart: new Date('2026-12-01T09:00:00Z'),
      scheduledEnd: '2026-12-01T10:30:00+01:00',
    }),
  );

  it('accept ISO-8601 strings, with Z or an offset, as well as Dates, and give Dates', () => {
    expect(typeof json.scheduledStart).toBe('string');
    const parsed = createSessionDataSchema.parse(json);
    expect(parsed.scheduledStart).toEqual(new Date('2026-12-01T09:00:00Z'));
    expect(parsed.scheduledEnd).toEqual(new Date('2026-12-01T09:30:00Z'));
    expect(trainingSessionInsertSchema.parse({ machineId, ...json }).scheduledEnd).toBeInstanceOf(Date);
  });

  it('check the range after parsing the strings', () => {
    const r = createSessionDataSchema.safeParse({ ...json, scheduledEnd: '2026-12-01T09:59:00+01:00' });
    expect(r.error?.issues.map((i) => i.path)).toEqual([['scheduledEnd']]);
  });

  it('refuse strings that are not a date-time with a zone, and numbers', () => {
    for (const bad of ['2026-12-01T10:00:00', '2026-12-01', 'tomorrow', '', 1764579600000, null]) {
      expect(createSessionDataSchema.safeParse({ ...json, scheduledEnd: bad }).success, String(bad)).toBe(false);
    }
  });

  it('calendar ranges and session filters take strings too, and want `to` after `from`', () => {
    expect(calendarRangeSchema.parse({ from: '2026-12-01T00:00:00Z', to: '2026-12-08T00:00:00Z' })).toEqual({
      from: new Date('2026-12-01T00:00:00Z'),
      to: new Date('2026-12-08T00:00:00Z'),
    });
    expect(calendarRangeSchema.safeParse({ from: '2026-12-08T00:00:00Z', to: '2026-12-01T00:00:00Z' }).success).toBe(
      false,
    );
    expect(calendarRangeSchema.safeParse({ from: '2026-12-01T00:00:00Z' }).success).toBe(false);
    expect(sessionFiltersSchema.parse({ machineId, status: 'scheduled' })).toEqual({ machineId, status: 'scheduled' });
    expect(sessionFiltersSchema.safeParse({ status: 'bogus' }).success).toBe(false);
    expect(sessionFiltersSchema.safeParse({ from: '2026-12-08T00:00:00Z', to: '2026-12-01T00:00:00Z' }).success).toBe(
      false,
    );
  });
});
