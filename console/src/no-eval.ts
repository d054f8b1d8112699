import { z } from 'zod';

// zod compiles validators with new Function unless told not to, and probes for it on first use; the CSP
// allows no eval. Imported first by main.tsx, so no schema is used before this is set.
z.config({ jitless: true });
