/** RS256: RSASSA-PKCS1-v1_5 with SHA-256 (RFC 8812 §2). */
import { rsaAlgorithm } from './rsa.js';

export const RS256 = rsaAlgorithm({ id: -257, name: 'RS256', hash: 'sha256', padding: 'pkcs1' });
