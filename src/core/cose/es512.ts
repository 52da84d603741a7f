/** ES512: ECDSA with SHA-512 on P-521 (RFC 9053 §2.1; WebAuthn L3 §5.8.5 pins the curve). */
import { ecdsaAlgorithm, P521 } from './ec2.js';

export const ES512 = ecdsaAlgorithm({ id: -36, name: 'ES512', curve: P521, hash: 'sha512' });
