/**
 * Passwords are sent to the server already hashed as a SCRAM-SHA-256 verifier (what psql's
 * \password and libpq's PQencryptPasswordConn do), so the clear text never appears in the
 * server's statement log or pg_stat_activity.
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';

const ITERATIONS = 4096; // PostgreSQL's default scram_iterations

/**
 * The verifier for `password`, or null when the server must hash it itself: SASLprep (RFC 4013),
 * which the server applies to non-ASCII passwords, is not reimplemented here.
 */
export function scramVerifier(password: string): string | null {
  if (!/^[\x20-\x7e]*$/.test(password)) return null;
  const salt = randomBytes(16);
  const salted = pbkdf2Sync(password, salt, ITERATIONS, 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const serverKey = createHmac('sha256', salted).update('Server Key').digest();
  return `SCRAM-SHA-256$${ITERATIONS}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}
