import { createSessionDataSchema, machineInsertSchema, trainingSessionInsertSchema } from '@gym/db';
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
  });
});
