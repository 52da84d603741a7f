/** RS512: RSASSA-PKCS1-v1_5 with SHA-512 (RFC 8812 §2). */
import { rsaAlgorithm } from './rsa.js';

export const RS512 = rsaAlgorithm({ id: -259, name: 'RS512', hash: 'sha512', padding: 'pkcs1' });
