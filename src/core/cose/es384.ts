/** ES384: ECDSA with SHA-384 on P-384 (RFC 9053 §2.1; WebAuthn L3 §5.8.5 pins the curve). */
import { ecdsaAlgorithm, P384 } from './ec2.js';

export const ES384 = ecdsaAlgorithm({ id: -35, name: 'ES384', curve: P384, hash: 'sha384' });
