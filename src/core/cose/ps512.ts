/** PS512: RSASSA-PSS with SHA-512, salt = hash length (RFC 8230 §2). */
import { rsaAlgorithm } from './rsa.js';

export const PS512 = rsaAlgorithm({ id: -39, name: 'PS512', hash: 'sha512', padding: 'pss' });
