/** ES256: ECDSA with SHA-256 on P-256 (RFC 9053 §2.1; WebAuthn L3 §5.8.5 pins the curve). */
import { ecdsaAlgorithm, P256 } from './ec2.js';

export const ES256 = ecdsaAlgorithm({ id: -7, name: 'ES256', curve: P256, hash: 'sha256' });
