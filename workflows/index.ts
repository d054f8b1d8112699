export { campaignWorkflow } from './campaign.js';
export { deliverBatchWorkflow } from './batch.js';
