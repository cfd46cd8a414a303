/**
 * A silent pino logger for in-process servers, so test output stays readable.
 */
import { pino } from 'pino';

export const quietLogger = pino({ level: 'silent' });
