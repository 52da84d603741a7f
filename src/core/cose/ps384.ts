/** PS384: RSASSA-PSS with SHA-384, salt = hash length (RFC 8230 §2). */
import { rsaAlgorithm } from './rsa.js';

export const PS384 = rsaAlgorithm({ id: -38, name: 'PS384', hash: 'sha384', padding: 'pss' });
