import type {
  CreateSessionData,
  CreateSessionDataInput,
  Machine,
  NewTrainingSession,
  TrainingSession,
  TrainingSessionUpdate,
} from '@gym/db';
import { describe, expectTypeOf, it } from 'vitest';

// US-004: the inferred types. Run by vitest's typecheck mode (tsc), so a wrong type fails `pnpm test`.
describe('inferred types', () => {
  it('TrainingSession: trainerId nullable, machineId a string, no maxParticipants or location', () => {
    expectTypeOf<TrainingSession['trainerId']>().toEqualTypeOf<string | null>();
    expectTypeOf<TrainingSession['machineId']>().toEqualTypeOf<string>();
    expectTypeOf<TrainingSession>().not.toHaveProperty('maxParticipants');
    expectTypeOf<TrainingSession>().not.toHaveProperty('location');
  });

  it('NewTrainingSession: machineId required, trainerId optional', () => {
    expectTypeOf<{ scheduledStart: Date; scheduledEnd: Date }>().not.toExtend<NewTrainingSession>();
    expectTypeOf<{ machineId: string; scheduledStart: Date; scheduledEnd: Date }>().toExtend<NewTrainingSession>();
    expectTypeOf<NewTrainingSession['trainerId']>().toEqualTypeOf<string | null | undefined>();
  });

  it('Machine: machineNumber is 1 | 2 | 3', () => {
    expectTypeOf<Machine['machineNumber']>().toEqualTypeOf<1 | 2 | 3>();
  });

  it('CreateSessionData: a single memberId', () => {
    expectTypeOf<CreateSessionData['memberId']>().toEqualTypeOf<string>();
    expectTypeOf<CreateSessionData>().not.toHaveProperty('memberIds');
  });

  it('CreateSessionDataInput takes ISO strings or Dates; parsed, CreateSessionData has Dates', () => {
    expectTypeOf<CreateSessionDataInput['scheduledStart']>().toEqualTypeOf<string | Date>();
    expectTypeOf<CreateSessionData['scheduledStart']>().toEqualTypeOf<Date>();
    expectTypeOf<CreateSessionDataInput['memberId']>().toEqualTypeOf<string>();
  });

  it('TrainingSessionUpdate: every field optional, no id', () => {
    expectTypeOf<{ notes: string }>().toExtend<TrainingSessionUpdate>();
    expectTypeOf<TrainingSessionUpdate['scheduledEnd']>().toEqualTypeOf<Date | undefined>();
    expectTypeOf<TrainingSessionUpdate>().not.toHaveProperty('id');
  });
});
