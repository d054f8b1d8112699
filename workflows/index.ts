export { campaignWorkflow } from './campaign.js';
export { deliverBatchWorkflow } from './batch.js';
export { recurringEndWorkflow, recurringFiringWorkflow } from './recurring.js';
export { eventTriggerWorkflow } from './event-trigger.js';
export { eventRunWorkflow } from './event-run.js';
export { retentionWorkflow } from './retention.js';
