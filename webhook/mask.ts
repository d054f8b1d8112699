/** What a credential becomes wherever a request or an answer is shown (request.ts, scrub.ts). */
export const MASK = '********';
