export { type BookSessionInput, bookSession } from './book-session.js';
export {
  type CalendarEntry,
  type CalendarPerson,
  type CalendarRange,
  type CalendarTrainer,
  listCalendar,
} from './calendar.js';
export { BookingError, type BookingErrorCode, bookingErrorCodes, findPgError, toBookingError } from './errors.js';
export { listMachines, setMachineAvailability } from './machines.js';
export { assignTrainer, cancelSession } from './sessions.js';
