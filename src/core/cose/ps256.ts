/** PS256: RSASSA-PSS with SHA-256, salt = hash length (RFC 8230 §2). */
import { rsaAlgorithm } from './rsa.js';

export const PS256 = rsaAlgorithm({ id: -37, name: 'PS256', hash: 'sha256', padding: 'pss' });
