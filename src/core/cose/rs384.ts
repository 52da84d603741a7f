/** RS384: RSASSA-PKCS1-v1_5 with SHA-384 (RFC 8812 §2). */
import { rsaAlgorithm } from './rsa.js';

export const RS384 = rsaAlgorithm({ id: -258, name: 'RS384', hash: 'sha384', padding: 'pkcs1' });
