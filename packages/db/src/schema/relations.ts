import { relations } from 'drizzle-orm';
import { machines } from './machines.js';
import { members } from './members.js';
import { trainers } from './trainers.js';
import { trainingSessionMembers } from './training-session-members.js';
import { trainingSessions } from './training-sessions.js';

export const machinesRelations = relations(machines, ({ many }) => ({
  sessions: many(trainingSessions),
}));

export const trainersRelations = relations(trainers, ({ many }) => ({
  sessions: many(trainingSessions),
}));

export const membersRelations = relations(members, ({ many }) => ({
  bookings: many(trainingSessionMembers),
}));

export const trainingSessionsRelations = relations(trainingSessions, ({ one, many }) => ({
  machine: one(machines, { fields: [trainingSessions.machineId], references: [machines.id] }),
  trainer: one(trainers, { fields: [trainingSessions.trainerId], references: [trainers.id] }),
  bookings: many(trainingSessionMembers),
}));

export const trainingSessionMembersRelations = relations(trainingSessionMembers, ({ one }) => ({
  session: one(trainingSessions, { fields: [trainingSessionMembers.sessionId], references: [trainingSessions.id] }),
  member: one(members, { fields: [trainingSessionMembers.memberId], references: [members.id] }),
}));
